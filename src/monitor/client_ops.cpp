// The engine's operations on a running (or finished) monitor, through its state directory.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sys.h"
#include "monitor/monitor.h"
#include "monitor/protocol.h"
#include "monitor/state_files.h"

namespace berth::monitor {

namespace {

bool monitorAlive(const std::string& dir) {
    UniqueFd lock(::open((dir + "/" + proto::kLockFile).c_str(), O_RDONLY | O_CLOEXEC));
    return lock && ::flock(lock.get(), LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

// Connects and sends a request; for Attach and Resize waits for the monitor's answer.
Result<UniqueFd> request(const std::string& dir, const proto::Request& r) {
    auto fd = TRY(proto::connectPath(dir + "/" + proto::kAttachSock));
    char buf[proto::kRequestSize];
    proto::encodeRequest(r, buf);
    if (::send(fd.get(), buf, sizeof buf, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof buf)) {
        return errnoError("send request to monitor");
    }
    if (r.type == proto::kWait) return fd;
    char answer = 0;
    ssize_t n;
    do {
        n = ::recv(fd.get(), &answer, 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n != 1 || answer != proto::kOk) {
        return makeError(ECONNREFUSED, "the process has exited");
    }
    return fd;
}

}  // namespace

Result<State> inspect(const std::string& stateDir) {
    if (!sys::isDir(stateDir)) return makeError(ENOENT, "no monitor state in {}", stateDir);
    State s;
    s.monitorAlive = monitorAlive(stateDir);
    if (auto rec = TRY(files::readState(stateDir))) {
        s.monitorPid = rec->monitorPid;
        s.pid = rec->pid;
        s.startedAtNs = rec->startedAtNs;
    }
    s.exit = TRY(files::readExit(stateDir));
    return s;
}

Result<UniqueFd> watchExit(const std::string& stateDir) {
    proto::Request r;
    r.type = proto::kWait;
    auto fd = request(stateDir, r);
    if (fd) return fd;
    // No monitor to ask: fine when it left its exit status behind.
    if (TRY(files::readExit(stateDir))) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) < 0) return errnoError("pipe");
        ::close(p[1]);
        return UniqueFd(p[0]);
    }
    return std::move(fd).error().wrap(
        fmt::format("watch {}: the monitor is gone and left no exit status", stateDir));
}

Result<UniqueFd> attach(const std::string& stateDir, const AttachRequest& a) {
    proto::Request r;
    r.type = proto::kAttach;
    r.flags = static_cast<uint8_t>((a.stdinStream ? proto::kStdin : 0) |
                                   (a.stdoutStream ? proto::kStdout : 0) |
                                   (a.stderrStream ? proto::kStderr : 0));
    return TRY_CTX(request(stateDir, r), "attach {}", stateDir);
}

Status resize(const std::string& stateDir, unsigned height, unsigned width) {
    proto::Request r;
    r.type = proto::kResize;
    r.height = static_cast<uint16_t>(std::min(height, 65535u));
    r.width = static_cast<uint16_t>(std::min(width, 65535u));
    TRY_CTX(request(stateDir, r), "resize {}", stateDir);
    return {};
}

Status cleanup(const std::string& stateDir) {
    if (monitorAlive(stateDir)) return makeError(EBUSY, "monitor of {} is still running", stateDir);
    TRY_CTX(sys::removeAll(stateDir), "remove monitor state {}", stateDir);
    return {};
}

int exitCodeHint(const Error& e) {
    const std::string& m = e.msg;
    if (e.code == ENOENT || m.find("executable file not found") != std::string::npos ||
        m.find("no such file or directory") != std::string::npos) {
        return 127;
    }
    if (e.code == EACCES || e.code == EISDIR || e.code == ENOEXEC ||
        m.find("permission denied") != std::string::npos) {
        return 126;
    }
    return 128;
}

}  // namespace berth::monitor
