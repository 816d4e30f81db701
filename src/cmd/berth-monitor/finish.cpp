// The end of a monitored process: reaping, draining its output, the exit status, the runtime's
// cleanup, and EOF to every client.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/berth-monitor/monitor.h"
#include "common/log.h"
#include "monitor/protocol.h"
#include "monitor/state_files.h"

namespace berth::monitor::daemon {

bool pumpOutput(Monitor& m, int stream);  // loop.cpp

int dockerExitCode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

void reapChildren() {
    Monitor& m = mon();
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == m.helperPid) {
            m.helperPid = 0;  // its socket tells how it went
        } else if (m.target && pid == m.target) {
            m.exited = true;
            m.waitStatus = status;
            m.finishedAt = proto::nowNs();
        } else if (!m.target || m.phase != Phase::Running) {
            // Maybe the exec'd process, reparented before its helper told us its pid.
            m.reaped[m.nReaped % 16] = {pid, status};
            m.nReaped = std::min(m.nReaped + 1, 16);
        }
        // Anything else is an orphan of the container that was reparented to us.
    }
}

void finish() {
    Monitor& m = mon();
    // Every writer is gone once a pid namespace's init has exited; with a shared pid namespace
    // a leftover process could keep a pipe open, so this stops at "nothing more for now".
    for (int s = 1; s <= 2; s++) {
        while (m.out[s] >= 0) {
            int before = m.out[s];
            errno = 0;
            if (!pumpOutput(m, s)) break;
            if (errno == EAGAIN && m.out[s] == before) break;
        }
        if (m.log) (void)m.log->flush(s, proto::nowNs());
    }

    ExitStatus x;
    x.exitCode = dockerExitCode(m.waitStatus);
    x.finishedAtNs = m.finishedAt;
    pid_t cleaner = 0;
    if (!m.cfg.exec) {
        if (m.helperFd >= 0) ::close(m.helperFd);
        m.helperFd = -1;
        if (auto st = forkHelper(HelperKind::Cleanup); st) {
            cleaner = m.helperPid;
            auto msg = proto::recvMsg(m.helperFd);
            if (msg && msg->kind == 'O') x.oomKilled = msg->a > 0;
        } else {
            log::warn("{}: {}", m.cfg.id, st.error().str());
        }
    }
    if (auto st = files::writeExit(m.dirFd, x); !st) {
        log::error("{}: exit status {}: {}", m.cfg.id, x.exitCode, st.error().str());
    }
    if (cleaner > 0) {
        while (::waitpid(cleaner, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    ::unlinkat(m.dirFd, proto::kAttachSock, 0);
    for (Client& c : m.clients) {
        if (c.fd < 0) continue;
        ::shutdown(c.fd, SHUT_WR);
        ::close(c.fd);
    }
    _exit(0);
}

}  // namespace berth::monitor::daemon
