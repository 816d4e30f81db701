// HEALTHCHECK / --health-*: a thread per running container with a check runs the probe as an
// exec (through a monitor, like docker exec), keeps the last 5 results, and flips the status
// (starting -> healthy / unhealthy after Retries failures) with a health_status event.
#include <poll.h>
#include <sys/socket.h>
#include <csignal>

#include <chrono>
#include <random>

#include "common/log.h"
#include "engine/internal.h"
#include "monitor/monitor.h"

namespace berth::engine {

namespace {

constexpr int64_t kSec = 1000000000;

int64_t nsField(const Json& hc, const char* k, int64_t def) {
    const Json& v = hc.value(k, Json());
    return v.is_number() && v.get<int64_t>() > 0 ? v.get<int64_t>() : def;
}

struct ProbeResult {
    int exitCode = -1;
    std::string output;
};

// Reads docker's multiplexed frames until EOF or the deadline; keeps the payload.
void readFrames(int fd, int64_t deadlineNs, std::string& out) {
    std::string buf;
    char tmp[4096];
    while (nowNs() < deadlineNs) {
        pollfd p{fd, POLLIN, 0};
        int ms = static_cast<int>(std::max<int64_t>(1, (deadlineNs - nowNs()) / 1000000));
        if (::poll(&p, 1, ms) <= 0) break;
        ssize_t n = ::read(fd, tmp, sizeof tmp);
        if (n <= 0) break;
        buf.append(tmp, static_cast<size_t>(n));
        while (buf.size() >= 8) {
            uint32_t len = (uint32_t(uint8_t(buf[4])) << 24) | (uint32_t(uint8_t(buf[5])) << 16) |
                           (uint32_t(uint8_t(buf[6])) << 8) | uint32_t(uint8_t(buf[7]));
            if (buf.size() < 8 + len) break;
            if (out.size() < 4096) out.append(buf, 8, len);
            buf.erase(0, 8 + len);
        }
    }
    if (out.size() > 4096) out.resize(4096);
}

}  // namespace

void Engine::Impl::startHealth(Entry& e) {
    const Json hc = e.c.config.value("Healthcheck", Json());
    if (!hc.is_object()) return;
    const Json test = hc.value("Test", Json::array());
    if (!test.is_array() || test.empty() || test[0] == "NONE") return;
    if (e.healthThread.joinable()) return;
    std::vector<std::string> args;
    if (test[0] == "CMD-SHELL" && test.size() >= 2) {
        args = {"/bin/sh", "-c", test[1].get<std::string>()};
    } else if (test[0] == "CMD") {
        for (size_t i = 1; i < test.size(); i++) args.push_back(test[i].get<std::string>());
    } else {
        return;
    }
    int64_t interval = nsField(hc, "Interval", 30 * kSec);
    int64_t timeout = nsField(hc, "Timeout", 30 * kSec);
    int64_t startPeriod = nsField(hc, "StartPeriod", 0);
    int64_t startInterval = nsField(hc, "StartInterval", 5 * kSec);
    int retries = hc.value("Retries", 0) > 0 ? hc.value("Retries", 3) : 3;
    e.healthStop = false;
    std::string id = e.c.id;
    Entry* ep = &e;
    int64_t started = nowNs();
    e.healthThread = std::thread([this, ep, id, args, interval, timeout, startPeriod, startInterval,
                                  retries, started] {
        std::mt19937 rng(std::random_device{}());
        for (;;) {
            int64_t wait =
                (startPeriod > 0 && nowNs() - started < startPeriod) ? startInterval : interval;
            {
                // The probe's cgroup migration is primed a grace period ahead (primer.h).
                constexpr int64_t kPrimeAheadNs = 10'000'000;
                std::unique_lock hl(ep->healthMu);
                auto stopped = [ep] { return ep->healthStop.load(); };
                if (wait > 2 * kPrimeAheadNs) {
                    if (ep->healthCv.wait_for(hl, std::chrono::nanoseconds(wait - kPrimeAheadNs),
                                              stopped))
                        return;
                    primer->prime();
                    wait = kPrimeAheadNs;
                }
                if (ep->healthCv.wait_for(hl, std::chrono::nanoseconds(wait), stopped)) return;
            }
            ProbeResult r;
            int64_t t0 = nowNs();
            std::string dir = monitorDir(id) + "/exec/health-" + std::to_string(rng());
            monitor::ExecSpec s;
            s.containerId = id;
            s.execId = "health";
            s.stateDir = dir;
            s.runtimeRoot = runtimeRoot();
            Json env;
            {
                std::lock_guard lk(ep->mu);
                env = ep->c.config.value("Env", Json::array());
            }
            Json p = {{"terminal", false},
                      {"user", {{"uid", 0}, {"gid", 0}}},
                      {"args", args},
                      {"env", env},
                      {"cwd", "/"}};
            s.processJson = p.dump();
            std::optional<Result<UniqueFd>> att;
            auto started2 = monitor::startExec(monitorPath(), s, [&](const std::string& d) {
                monitor::AttachRequest ar;
                att = monitor::attach(d, ar);
            });
            if (!started2) {
                r.exitCode = -1;
                r.output = started2.error().str();
            } else {
                if (att && *att) readFrames((*att)->get(), t0 + timeout, r.output);
                // The output ends a moment before the monitor records the exit: wait for it
                // (up to the probe's deadline) rather than take the probe for timed out.
                auto st = monitor::inspect(dir);
                while ((!st || !st->exit) && nowNs() < t0 + timeout) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    st = monitor::inspect(dir);
                }
                if (st && st->exit) {
                    r.exitCode = st->exit->exitCode;
                } else {
                    // Timed out: the probe is killed, as docker does.
                    if (st && st->pid > 0) ::kill(st->pid, SIGKILL);
                    r.exitCode = -1;
                    r.output = fmt::format("Health check exceeded timeout ({}s)", timeout / kSec);
                }
            }
            (void)monitor::cleanup(dir);
            std::unique_lock lk(ep->mu);
            if (ep->healthStop || !ep->c.state.health.is_object()) return;
            Json& h = ep->c.state.health;
            Json& log = h["Log"];
            if (!log.is_array()) log = Json::array();
            log.push_back({{"Start", rfc3339Nano(t0)},
                           {"End", nowRfc3339Nano()},
                           {"ExitCode", r.exitCode},
                           {"Output", r.output}});
            while (log.size() > 5) log.erase(log.begin());
            std::string before = h.value("Status", "starting");
            if (r.exitCode == 0) {
                h["FailingStreak"] = 0;
                h["Status"] = "healthy";
            } else {
                bool inStart = startPeriod > 0 && nowNs() - started < startPeriod;
                if (!inStart) h["FailingStreak"] = h.value("FailingStreak", 0) + 1;
                if (h.value("FailingStreak", 0) >= retries) h["Status"] = "unhealthy";
            }
            (void)save(ep->c);
            if (h["Status"] != before)
                publish(ep->c, "health_status: " + h["Status"].get<std::string>());
        }
    });
}

void Engine::Impl::stopHealth(Entry& e, std::unique_lock<std::mutex>& lk) {
    if (!e.healthThread.joinable()) return;
    {
        std::lock_guard hl(e.healthMu);
        e.healthStop = true;
    }
    e.healthCv.notify_all();
    std::thread t = std::move(e.healthThread);
    if (t.get_id() == std::this_thread::get_id()) {
        t.detach();
        return;
    }
    lk.unlock();
    t.join();
    lk.lock();
}

}  // namespace berth::engine
