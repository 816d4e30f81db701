// berth-monitor-tool: drives the monitor's client API for the end-to-end tests, the way the
// engine will: `run` is docker run (attach before start, stdin, wait, exit code), `exec` is
// docker exec, the rest are one call each. Results are printed as JSON lines.
//   run     --monitor P --id ID --bundle B --state-dir S --runtime-root R [--log L]
//           [--log-max-size N] [--log-max-files N] [--tty] [--stdin] [--stdin-once]
//           [--height H] [--width W] [--detach]
//   exec    --monitor P --id ID --exec-id E --state-dir S --runtime-root R --process FILE
//           [--tty] [--stdin] [--height H] [--width W] [--detach]
//   attach  --state-dir S [--stdin] [--tty]       pump until EOF
//   inspect --state-dir S | wait --state-dir S | cleanup --state-dir S
//   resize  --state-dir S --height H --width W
//   logs    --log L [--max-files N] [--tail N] [--since NS] [--until NS] [--follow]
//           [--follow-until-exit S] [--no-stdout] [--no-stderr]
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "common/sys.h"
#include "monitor/monitor.h"
#include "monitor/mux.h"

using namespace berth;

namespace {

std::map<std::string, std::string> opts;

bool has(const char* k) {
    return opts.count(k) > 0;
}
std::string get(const char* k, const std::string& d = "") {
    auto it = opts.find(k);
    return it == opts.end() ? d : it->second;
}
long long num(const char* k, long long d = 0) {
    return has(k) ? std::atoll(get(k).c_str()) : d;
}

void writeAll(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n <= 0) return;
        s.remove_prefix(static_cast<size_t>(n));
    }
}

// Copies our stdin to the stream (then half-closes it) and the stream to stdout/stderr.
void pump(int fd, bool tty, bool sendStdin) {
    monitor::mux::Decoder dec;
    bool inOpen = sendStdin;
    char buf[65536];
    for (;;) {
        pollfd p[2] = {{fd, POLLIN, 0}, {0, static_cast<short>(inOpen ? POLLIN : 0), 0}};
        if (::poll(p, inOpen ? 2 : 1, -1) < 0) continue;
        if (p[1].revents) {
            ssize_t n = ::read(0, buf, sizeof buf);
            if (n <= 0) {
                ::shutdown(fd, SHUT_WR);
                inOpen = false;
            } else {
                writeAll(fd, {buf, static_cast<size_t>(n)});
            }
        }
        if (p[0].revents) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) return;
            if (tty) {
                writeAll(1, {buf, static_cast<size_t>(n)});
            } else if (!dec.feed({buf, static_cast<size_t>(n)},
                                 [](int s, std::string_view d) { writeAll(s == 2 ? 2 : 1, d); })) {
                std::fprintf(stderr, "bad mux frame\n");
                std::exit(3);
            }
        }
    }
}

int waitExitCode(const std::string& dir) {
    auto fd = monitor::watchExit(dir);
    if (!fd) {
        std::fprintf(stderr, "watchExit: %s\n", fd.error().str().c_str());
        return 3;
    }
    char b;
    while (::read(fd->get(), &b, 1) > 0) {
    }
    auto st = monitor::inspect(dir);
    if (!st || !st->exit) {
        std::fprintf(stderr, "no exit status\n");
        return 3;
    }
    std::printf("{\"exitCode\":%d,\"oomKilled\":%s,\"finishedAtNs\":%lld}\n", st->exit->exitCode,
                st->exit->oomKilled ? "true" : "false",
                static_cast<long long>(st->exit->finishedAtNs));
    std::fflush(stdout);
    return st->exit->exitCode;
}

int startCommon(bool exec) {
    bool detach = has("detach"), tty = has("tty"), in = has("stdin");
    UniqueFd stream;
    auto before = [&](const std::string& dir) {
        if (detach) return;
        monitor::AttachRequest r;
        r.stdinStream = in;
        auto fd = monitor::attach(dir, r);
        if (!fd) {
            std::fprintf(stderr, "attach: %s\n", fd.error().str().c_str());
            std::exit(3);
        }
        stream = std::move(*fd);
    };
    Result<monitor::Started> started = monitor::Started{};
    std::string dir = get("state-dir");
    if (exec) {
        monitor::ExecSpec s;
        s.containerId = get("id");
        s.execId = get("exec-id");
        s.stateDir = dir;
        s.runtimeRoot = get("runtime-root");
        auto text = sys::readFile(get("process"));
        if (!text) return 3;
        s.processJson = *text;
        s.tty = tty;
        s.openStdin = in;
        s.consoleHeight = static_cast<unsigned>(num("height"));
        s.consoleWidth = static_cast<unsigned>(num("width"));
        started = monitor::startExec(get("monitor"), s, before);
    } else {
        monitor::ContainerSpec s;
        s.id = get("id");
        s.bundle = get("bundle");
        s.stateDir = dir;
        s.runtimeRoot = get("runtime-root");
        s.logPath = get("log");
        s.logMaxSize = num("log-max-size");
        s.logMaxFiles = static_cast<int>(num("log-max-files", 1));
        s.tty = tty;
        s.openStdin = in;
        s.stdinOnce = has("stdin-once");
        s.consoleHeight = static_cast<unsigned>(num("height"));
        s.consoleWidth = static_cast<unsigned>(num("width"));
        started = monitor::start(get("monitor"), s, before);
    }
    if (!started) {
        std::fprintf(stderr, "%s\n", started.error().str().c_str());
        return monitor::exitCodeHint(started.error());
    }
    std::fprintf(stderr, "{\"monitorPid\":%d,\"pid\":%d,\"startedAtNs\":%lld}\n",
                 started->monitorPid, started->pid, static_cast<long long>(started->startedAtNs));
    if (detach) return 0;
    pump(stream.get(), tty, in);
    return waitExitCode(dir);
}

int logs() {
    monitor::LogReadOptions o;
    o.stdoutStream = !has("no-stdout");
    o.stderrStream = !has("no-stderr");
    o.follow = has("follow");
    o.tail = static_cast<int>(num("tail", -1));
    o.sinceNs = num("since");
    o.untilNs = num("until");
    std::string exitDir = get("follow-until-exit");
    auto st = monitor::readLog(
        get("log"), static_cast<int>(num("max-files", 1)), o,
        [](int s, std::string_view line, int64_t t) {
            std::string esc;
            for (char c : line) {
                if (c == '\n')
                    esc += "\\n";
                else if (c == '"' || c == '\\')
                    esc += std::string("\\") + c;
                else
                    esc += c;
            }
            std::printf("{\"stream\":%d,\"time\":%lld,\"line\":\"%s\"}\n", s,
                        static_cast<long long>(t), esc.c_str());
            std::fflush(stdout);
            return true;
        },
        [&] {
            if (exitDir.empty()) return false;
            auto s = monitor::inspect(exitDir);
            return !s || s->exit.has_value();
        });
    if (!st) {
        std::fprintf(stderr, "%s\n", st.error().str().c_str());
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    std::string cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0) return 2;
        a = a.substr(2);
        bool flag = i + 1 >= argc || std::string(argv[i + 1]).rfind("--", 0) == 0;
        opts[a] = flag ? "" : argv[++i];
    }
    std::string dir = get("state-dir");
    if (cmd == "run") return startCommon(false);
    if (cmd == "exec") return startCommon(true);
    if (cmd == "logs") return logs();
    if (cmd == "wait") return waitExitCode(dir);
    if (cmd == "attach") {
        monitor::AttachRequest r;
        r.stdinStream = has("stdin");
        auto fd = monitor::attach(dir, r);
        if (!fd) {
            std::fprintf(stderr, "%s\n", fd.error().str().c_str());
            return 1;
        }
        pump(fd->get(), has("tty"), r.stdinStream);
        return 0;
    }
    if (cmd == "inspect") {
        auto s = monitor::inspect(dir);
        if (!s) {
            std::fprintf(stderr, "%s\n", s.error().str().c_str());
            return 1;
        }
        std::printf("{\"monitorAlive\":%s,\"monitorPid\":%d,\"pid\":%d,\"startedAtNs\":%lld",
                    s->monitorAlive ? "true" : "false", s->monitorPid, s->pid,
                    static_cast<long long>(s->startedAtNs));
        if (s->exit) {
            std::printf(",\"exitCode\":%d,\"oomKilled\":%s", s->exit->exitCode,
                        s->exit->oomKilled ? "true" : "false");
        }
        std::printf("}\n");
        return 0;
    }
    if (cmd == "resize") {
        auto st = monitor::resize(dir, static_cast<unsigned>(num("height")),
                                  static_cast<unsigned>(num("width")));
        if (!st) std::fprintf(stderr, "%s\n", st.error().str().c_str());
        return st ? 0 : 1;
    }
    if (cmd == "cleanup") {
        auto st = monitor::cleanup(dir);
        if (!st) std::fprintf(stderr, "%s\n", st.error().str().c_str());
        return st ? 0 : 1;
    }
    return 2;
}
