#include "runtime/supervise.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

#include "common/unique_fd.h"

namespace berth::runtime::detail {

namespace {

sigset_t forwarded() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD}) {
        sigaddset(&s, sig);
    }
    return s;
}

// Raw mode on our terminal while we proxy a pty; restored on scope exit.
class RawTerminal {
public:
    RawTerminal() {
        if (::isatty(0) && ::tcgetattr(0, &saved_) == 0) {
            struct termios raw = saved_;
            ::cfmakeraw(&raw);
            active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
        }
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(0, TCSANOW, &saved_);
    }

private:
    struct termios saved_ = {};
    bool active_ = false;
};

void copyWinsize(int master) {
    struct winsize ws;
    if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

bool pump(int from, int to) {
    char buf[16384];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) return false;
    ssize_t off = 0;
    while (off < n) {
        ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += w;
    }
    return true;
}

}  // namespace

Status prepareSupervisor() {
    sigset_t s = forwarded();
    if (::sigprocmask(SIG_BLOCK, &s, nullptr) < 0) return errnoError("block signals");
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return errnoError("become subreaper");
    return {};
}

void killAndReap(pid_t pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

Result<int> supervise(pid_t pid, int ptyMaster) {
    sigset_t s = forwarded();
    UniqueFd sfd(::signalfd(-1, &s, SFD_CLOEXEC));
    if (!sfd) return errnoError("signalfd");
    std::optional<RawTerminal> raw;
    bool stdinOpen = ptyMaster >= 0;
    if (ptyMaster >= 0) {
        raw.emplace();
        copyWinsize(ptyMaster);
    }
    int status = -1;
    bool exited = false;
    while (!exited) {
        struct pollfd p[3] = {{sfd.get(), POLLIN, 0}, {ptyMaster, POLLIN, 0},
                              {stdinOpen ? 0 : -1, POLLIN, 0}};
        int r = ::poll(p, ptyMaster >= 0 ? 3 : 1, -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errnoError("poll");
        }
        if (ptyMaster >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
            if (!pump(ptyMaster, 1)) p[1].fd = -1;
        }
        if (stdinOpen && (p[2].revents & (POLLIN | POLLHUP))) {
            if (!pump(0, ptyMaster)) stdinOpen = false;
        }
        if (!(p[0].revents & POLLIN)) continue;
        struct signalfd_siginfo si;
        if (::read(sfd.get(), &si, sizeof si) != sizeof si) continue;
        if (si.ssi_signo == SIGCHLD) {
            int st;
            pid_t w;
            while ((w = ::waitpid(-1, &st, WNOHANG)) > 0) {
                if (w == pid) {
                    status = st;
                    exited = true;
                }
            }
        } else if (si.ssi_signo == SIGWINCH && ptyMaster >= 0) {
            copyWinsize(ptyMaster);
        } else {
            ::kill(pid, static_cast<int>(si.ssi_signo));
        }
    }
    if (ptyMaster >= 0) {
        // Drain what the process wrote before exiting.
        struct pollfd p = {ptyMaster, POLLIN, 0};
        while (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && pump(ptyMaster, 1)) {
        }
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

}  // namespace berth::runtime::detail
