// logs, attach and resize: the container's stdio lives in its monitor; the log is the
// monitor's json-file, read here.
#include <sys/socket.h>

#include <thread>

#include "engine/internal.h"
#include "monitor/monitor.h"

namespace berth::engine {

namespace {

int logMaxFiles(const Container& c, const Options& o) {
    const Json cfg =
        c.hostConfig.value("LogConfig", Json::object()).value("Config", Json::object());
    if (cfg.is_object() && cfg.contains("max-file"))
        return std::max(1, std::atoi(cfg.value("max-file", "1").c_str()));
    return std::max(1, o.logMaxFiles);
}

void putFrame(std::string& out, int stream, std::string_view data) {
    uint32_t n = static_cast<uint32_t>(data.size());
    char hdr[8] = {static_cast<char>(stream),
                   0,
                   0,
                   0,
                   static_cast<char>(n >> 24),
                   static_cast<char>(n >> 16),
                   static_cast<char>(n >> 8),
                   static_cast<char>(n)};
    out.append(hdr, 8);
    out.append(data);
}

}  // namespace

Status Engine::logs(const std::string& idOrName, const LogOptions& o, const LogSink& sink) {
    auto e = TRY(impl_->find(idOrName));
    std::string path;
    int maxFiles;
    {
        std::lock_guard lk(e->mu);
        std::string type =
            e->c.hostConfig.value("LogConfig", Json::object()).value("Type", "json-file");
        if (type == "none") return invalid("configured logging driver does not support reading");
        path = impl_->containerDir(e->c.id) + "/container.log";
        maxFiles = logMaxFiles(e->c, impl_->opts);
    }
    monitor::LogReadOptions ro;
    ro.stdoutStream = o.stdoutStream;
    ro.stderrStream = o.stderrStream;
    ro.follow = o.follow;
    ro.sinceNs = o.sinceNs;
    ro.untilNs = o.untilNs;
    ro.tail = o.tail;
    auto stopFollow = [&] {
        if (impl_->shuttingDown) return true;
        std::lock_guard lk(e->mu);
        return e->removed || (!e->c.running() && e->c.state.status != "restarting" && !e->starting);
    };
    return monitor::readLog(path, maxFiles, ro, sink, stopFollow);
}

Result<AttachStream> Engine::attach(const std::string& idOrName, const AttachOptions& o,
                                    const std::function<Status()>& ready) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    AttachStream out;
    out.tty = e->c.config.value("Tty", false);
    auto readyNow = [&]() -> Status {
        if (!ready) return {};
        lk.unlock();
        auto st = ready();
        lk.lock();
        return st;
    };
    if (!o.stream) {
        TRY(readyNow());
        // Logs only (or nothing): replayed into one end of a socket pair.
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return errnoError("socketpair");
        out.fd = UniqueFd(sv[0]);
        UniqueFd w(sv[1]);
        if (o.logs) {
            std::string path = impl_->containerDir(e->c.id) + "/container.log";
            int maxFiles = logMaxFiles(e->c, impl_->opts);
            bool tty = out.tty;
            std::thread([path, maxFiles, tty, o, w = std::move(w)]() mutable {
                monitor::LogReadOptions ro;
                ro.stdoutStream = o.stdoutStream;
                ro.stderrStream = o.stderrStream;
                (void)monitor::readLog(
                    path, maxFiles, ro,
                    [&](int stream, std::string_view data, int64_t) {
                        std::string buf;
                        if (tty)
                            buf.assign(data);
                        else
                            putFrame(buf, stream, data);
                        return ::send(w.get(), buf.data(), buf.size(), MSG_NOSIGNAL) ==
                               static_cast<ssize_t>(buf.size());
                    },
                    [] { return true; });
            }).detach();
        }
        return out;
    }
    monitor::AttachRequest r;
    r.stdinStream = o.stdinStream;
    r.stdoutStream = o.stdoutStream;
    r.stderrStream = o.stderrStream;
    if (e->c.running() && !e->starting) {
        TRY(readyNow());
        out.fd = TRY(monitor::attach(impl_->monitorDir(e->c.id), r));
        return out;
    }
    // Not running yet (docker run / start -a attach first): connected by the start hook.
    PendingAttach pa;
    pa.opts = o;
    e->pendingAttaches.push_back(&pa);
    if (auto st = readyNow(); !st) {
        auto& v = e->pendingAttaches;
        v.erase(std::remove(v.begin(), v.end(), &pa), v.end());
        return st.error();
    }
    e->cv.wait(lk, [&] { return pa.result.has_value() || e->removed || impl_->shuttingDown; });
    if (!pa.result) {
        auto& v = e->pendingAttaches;
        v.erase(std::remove(v.begin(), v.end(), &pa), v.end());
        return makeError(ENOENT, "container {} was removed", e->c.id);
    }
    out.fd = TRY(std::move(*pa.result));
    return out;
}

Status Engine::resize(const std::string& idOrName, int height, int width) {
    auto e = TRY(impl_->find(idOrName));
    std::lock_guard lk(e->mu);
    if (!e->c.running())
        return makeError(EBUSY, "cannot resize container {}: container is not running", e->c.id);
    if (height < 0 || width < 0) return invalid("invalid size {}x{}", height, width);
    return monitor::resize(impl_->monitorDir(e->c.id), static_cast<unsigned>(height),
                           static_cast<unsigned>(width));
}

}  // namespace berth::engine
