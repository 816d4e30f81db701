// The forked helpers: every call into the runtime library happens here, in a child that exits
// when done, so the long-lived monitor never maps the library's heap or touches its code.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/berth-monitor/monitor.h"
#include "common/log.h"
#include "common/sys.h"
#include "monitor/protocol.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/container.h"

namespace berth::monitor::daemon {

namespace {

constexpr int kSockFd = 3;  // the helper's socket to the monitor
constexpr int kDirFd = 4;   // the state directory
// The runtime connects to the console socket by path: through our directory fd, whatever the
// state directory's length.
const char* kConsolePath = "/proc/self/fd/4/console.sock";

runtime::Globals globals(const Config& c) {
    runtime::Globals g;
    g.root = c.runtimeRoot;
    return g;
}

void devNullStdio() {
    int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; i++) ::dup2(fd, i);
    if (fd > 2) ::close(fd);
}

[[noreturn]] void createHelper(const Config& c) {
    auto g = globals(c);
    runtime::CreateOptions o;
    o.id = c.id;
    o.bundle = c.bundle;
    if (c.tty) o.consoleSocket = kConsolePath;
    auto pid = runtime::create(g, o);
    if (!pid) {
        (void)proto::sendError(kSockFd, pid.error());
        _exit(1);
    }
    devNullStdio();  // only the container keeps its stdio: EOF reaches the monitor with it
    (void)proto::sendMsg(kSockFd, 'C', *pid);
    auto go = proto::recvMsg(kSockFd);
    if (!go || go->kind != 'G') {
        (void)runtime::remove(g, c.id, true);  // the caller of start() went away
        _exit(1);
    }
    auto st = runtime::start(g, c.id);
    if (!st) {
        (void)runtime::remove(g, c.id, true);
        (void)proto::sendError(kSockFd, st.error());
        _exit(1);
    }
    (void)proto::sendMsg(kSockFd, 'S', *pid);
    _exit(0);
}

Result<pid_t> execProcess(const Config& c) {
    auto text = TRY(sys::readFile(c.stateDir + "/" + proto::kProcessFile));
    auto p = TRY_CTX(spec::parseProcess(text), "exec process");
    p.terminal = c.tty;
    if (c.tty && (c.height || c.width)) p.consoleSize = spec::ConsoleSize{c.height, c.width};
    runtime::ExecOptions o;
    o.id = c.id;
    o.process = std::move(p);
    o.tty = c.tty;
    o.detach = true;
    if (c.tty) o.consoleSocket = kConsolePath;
    std::string pidFile = c.stateDir + "/" + proto::kExecPidFile;
    o.pidFile = pidFile;
    TRY(runtime::exec(globals(c), std::move(o)));
    auto pidText = TRY(sys::readFile(pidFile));
    return static_cast<pid_t>(std::atoi(pidText.c_str()));
}

[[noreturn]] void execHelper(const Config& c) {
    auto pid = execProcess(c);
    if (!pid) {
        (void)proto::sendError(kSockFd, pid.error());
        _exit(1);
    }
    devNullStdio();
    (void)proto::sendMsg(kSockFd, 'S', *pid);
    _exit(0);
}

// The OOM counter is read before the delete removes the cgroup.
[[noreturn]] void cleanupHelper(const Config& c) {
    auto g = globals(c);
    uint64_t ooms = 0;
    if (auto st = runtime::load(g, c.id)) {
        auto cg = cgroups::open(st->cgroupMode, {st->cgroupRoot, st->cgroupPath, false});
        if (cg) {
            if (auto stats = (*cg)->stats()) ooms = stats->oomKills;
        }
    }
    (void)proto::sendMsg(kSockFd, 'O', static_cast<int64_t>(ooms));
    if (auto st = runtime::remove(g, c.id, true); !st) log::warn("{}", st.error().str());
    _exit(0);
}

// In the child: stdio, the helper socket on 3 and the state dir on 4, nothing else.
void arrangeFds(const Monitor& m, int sock) {
    int io[3];
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; i++) io[i] = m.childIo[i] >= 0 ? m.childIo[i] : null;
    // Move everything above the targets first, so no dup2 clobbers a source.
    int hi[5] = {io[0], io[1], io[2], sock, m.dirFd};
    for (int& fd : hi) fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 100);
    for (int i = 0; i < 5; i++) ::dup2(hi[i], i);
    ::syscall(SYS_close_range, 5, ~0U, 0);
    ::fcntl(kSockFd, F_SETFD, FD_CLOEXEC);
    ::fcntl(kDirFd, F_SETFD, FD_CLOEXEC);
}

}  // namespace

Status forkHelper(HelperKind k) {
    Monitor& m = mon();
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return errnoError("socketpair");
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(sv[0]);
        ::close(sv[1]);
        return errnoError("fork helper");
    }
    if (pid == 0) {
        arrangeFds(m, sv[1]);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::signal(SIGHUP, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        log::init({m.cfg.stateDir + "/" + proto::kMonitorLog});
        switch (k) {
            case HelperKind::Create:
                createHelper(m.cfg);
            case HelperKind::Exec:
                execHelper(m.cfg);
            case HelperKind::Cleanup:
                cleanupHelper(m.cfg);
        }
        _exit(1);
    }
    ::close(sv[1]);
    m.helperFd = sv[0];
    m.helperPid = pid;
    // The process's ends now live in the helper (and the container); ours would hide EOF.
    for (int& fd : m.childIo) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    return {};
}

Status takePty() {
    Monitor& m = mon();
    // The runtime connected and the pty was sent before create/exec returned: nothing to wait
    // for. Missing, the config did not ask for a terminal (process.terminal false).
    int conn = ::accept4(m.consoleFd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0 && errno == EAGAIN) {
        return makeError(EINVAL,
                         "a TTY was requested but the process has no terminal "
                         "(process.terminal is false)");
    }
    if (conn < 0) return errnoError("accept on the console socket");
    auto master = proto::recvFd(conn, MSG_DONTWAIT);
    ::close(conn);
    ::close(m.consoleFd);
    m.consoleFd = -1;
    ::unlinkat(m.dirFd, proto::kConsoleSock, 0);
    if (!master && master.error().code == EAGAIN) {
        return makeError(EINVAL,
                         "a TTY was requested but the process has no terminal "
                         "(process.terminal is false)");
    }
    if (!master) return std::move(master).error().wrap("receive the pty");
    if (!*master) return makeError(EPROTO, "the runtime sent no pty");
    m.ptyFd = master->release();
    if (::fcntl(m.ptyFd, F_SETFL, O_NONBLOCK) < 0) return errnoError("set pty non-blocking");
    if (m.cfg.height || m.cfg.width) {
        winsize ws = {};
        ws.ws_row = static_cast<unsigned short>(m.cfg.height);
        ws.ws_col = static_cast<unsigned short>(m.cfg.width);
        if (::ioctl(m.ptyFd, TIOCSWINSZ, &ws) < 0) return errnoError("set pty size");
    }
    m.out[1] = m.ptyFd;
    if (m.cfg.openStdin) m.stdinFd = m.ptyFd;
    return {};
}

}  // namespace berth::monitor::daemon
