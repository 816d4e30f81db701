// start() / startExec(): spawn a monitor and drive the start handshake with it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "monitor/monitor.h"
#include "monitor/protocol.h"

extern char** environ;

namespace berth::monitor {

namespace {

// The state directory, emptied of a previous run's files (a restarted container reuses its
// id); refused while a monitor still holds it.
Status prepareStateDir(const std::string& dir) {
    UniqueFd lock(::open((dir + "/" + proto::kLockFile).c_str(), O_RDONLY | O_CLOEXEC));
    if (lock && ::flock(lock.get(), LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
        return makeError(EBUSY, "a monitor is still running for {}", dir);
    }
    lock.reset();
    TRY_CTX(sys::removeAll(dir), "clear monitor state {}", dir);
    TRY_CTX(sys::mkdirAll(dir, 0700), "create monitor state {}", dir);
    return {};
}

// The tail of monitor.log, for an error when the monitor died without telling why.
std::string monitorLogTail(const std::string& dir) {
    auto text = sys::readFile(dir + "/" + proto::kMonitorLog);
    if (!text || text->empty()) return "";
    std::string t = text->size() > 2000 ? text->substr(text->size() - 2000) : *text;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return ": " + t;
}

Result<pid_t> spawn(const std::string& path, const std::vector<std::string>& args,
                    const std::string& stateDir, int controlFd) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    ::posix_spawn_file_actions_init(&fa);
    ::posix_spawnattr_init(&at);
    ScopeGuard destroy([&] {
        ::posix_spawn_file_actions_destroy(&fa);
        ::posix_spawnattr_destroy(&at);
    });
    std::string logPath = stateDir + "/" + proto::kMonitorLog;
    ::posix_spawn_file_actions_adddup2(&fa, controlFd, proto::kControlFd);
    ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addopen(&fa, 2, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                       0600);
    // Its own session; no signal mask or ignored signal of the caller's is inherited.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&at, &none);
    ::posix_spawnattr_setsigdefault(&at, &all);
    ::posix_spawnattr_setflags(&at,
                               POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, path.c_str(), &fa, &at, argv.data(), environ);
    if (rc != 0) return makeError(rc, "spawn monitor {}", path);
    return pid;
}

Result<Started> drive(const std::string& path, const std::vector<std::string>& args,
                      const std::string& stateDir,
                      const std::function<void(const std::string&)>& beforeStart) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return errnoError("socketpair");
    }
    UniqueFd ours(sv[0]), theirs(sv[1]);
    // dup2 onto the same number would keep close-on-exec set: make sure it differs.
    if (theirs.get() == proto::kControlFd) {
        theirs = UniqueFd(::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 10));
        if (!theirs) return errnoError("dup control socket");
    }
    pid_t pid = TRY(spawn(path, args, stateDir, theirs.get()));
    theirs.reset();
    // The spawned process forks the long-lived monitor and exits at once: reap it here.
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    auto fail = [&](Error e) {
        // Wait until the monitor is gone (it closes the socket last), then drop its state.
        char b;
        for (;;) {
            ssize_t n = ::recv(ours.get(), &b, 1, 0);
            if (n == 0 || (n < 0 && errno != EINTR)) break;
        }
        (void)sys::removeAll(stateDir);
        return e;
    };
    auto m = proto::recvMsg(ours.get());
    if (!m) {
        return fail(makeError(EIO, "monitor exited before the container was created{}",
                              monitorLogTail(stateDir)));
    }
    if (m->kind == 'E') return fail(std::move(m->err));
    if (m->kind != 'R') return fail(makeError(EPROTO, "monitor: unexpected message {}", m->kind));
    if (beforeStart) beforeStart(stateDir);
    if (auto st = proto::sendMsg(ours.get(), 'G'); !st) return fail(std::move(st).error());
    m = proto::recvMsg(ours.get());
    if (!m) {
        return fail(makeError(EIO, "monitor exited before the process started{}",
                              monitorLogTail(stateDir)));
    }
    if (m->kind == 'E') return fail(std::move(m->err));
    if (m->kind != 'S') return fail(makeError(EPROTO, "monitor: unexpected message {}", m->kind));
    return Started{static_cast<pid_t>(m->a), static_cast<pid_t>(m->b), m->c};
}

}  // namespace

Result<Started> start(const std::string& monitorPath, const ContainerSpec& s,
                      const std::function<void(const std::string& stateDir)>& beforeStart) {
    TRY_CTX(prepareStateDir(s.stateDir), "start {}", s.id);
    std::vector<std::string> args = {"berth-monitor",  "create",     "--id",        s.id,
                                     "--bundle",       s.bundle,     "--state-dir", s.stateDir,
                                     "--runtime-root", s.runtimeRoot};
    if (!s.logPath.empty()) {
        args.insert(args.end(),
                    {"--log-path", s.logPath, "--log-max-size", std::to_string(s.logMaxSize),
                     "--log-max-files", std::to_string(s.logMaxFiles)});
    }
    if (s.tty) args.push_back("--tty");
    if (s.openStdin) args.push_back("--stdin");
    if (s.stdinOnce) args.push_back("--stdin-once");
    if (s.consoleHeight || s.consoleWidth) {
        args.insert(args.end(), {"--height", std::to_string(s.consoleHeight), "--width",
                                 std::to_string(s.consoleWidth)});
    }
    return TRY_CTX(drive(monitorPath, args, s.stateDir, beforeStart), "start {}", s.id);
}

Result<Started> startExec(const std::string& monitorPath, const ExecSpec& s,
                          const std::function<void(const std::string& stateDir)>& beforeStart) {
    TRY_CTX(prepareStateDir(s.stateDir), "exec in {}", s.containerId);
    TRY(sys::writeFile(s.stateDir + "/" + proto::kProcessFile, s.processJson,
                       O_WRONLY | O_CREAT | O_TRUNC, 0600));
    std::vector<std::string> args = {"berth-monitor",  "exec",       "--id",        s.containerId,
                                     "--exec-id",      s.execId,     "--state-dir", s.stateDir,
                                     "--runtime-root", s.runtimeRoot};
    if (s.tty) args.push_back("--tty");
    if (s.openStdin) args.push_back("--stdin");
    if (s.consoleHeight || s.consoleWidth) {
        args.insert(args.end(), {"--height", std::to_string(s.consoleHeight), "--width",
                                 std::to_string(s.consoleWidth)});
    }
    return TRY_CTX(drive(monitorPath, args, s.stateDir, beforeStart), "exec in {}", s.containerId);
}

}  // namespace berth::monitor
