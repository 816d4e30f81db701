// Terminal helpers: termios raw mode, TIOCGWINSZ, and a SIGWINCH self-pipe.
#include "cli/tty.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace berth::cli {

namespace {

// The write end of the active watcher's pipe, for the signal handler.
volatile sig_atomic_t gWinchWrite = -1;

void onWinch(int) {
    int saved = errno;
    int fd = gWinchWrite;
    if (fd >= 0) {
        char b = 'w';
        // A full pipe already holds a pending notification: dropping this one loses nothing.
        (void)!::write(fd, &b, 1);
    }
    errno = saved;
}

}  // namespace

bool isTerminal(int fd) {
    return fd >= 0 && ::isatty(fd) == 1;
}

std::optional<std::pair<int, int>> windowSize(int fd) {
    winsize ws{};
    if (fd < 0 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0) return std::nullopt;
    if (ws.ws_row == 0 && ws.ws_col == 0) return std::nullopt;
    return std::make_pair(static_cast<int>(ws.ws_row), static_cast<int>(ws.ws_col));
}

Result<RawMode> RawMode::enable(int fd) {
    termios saved{};
    if (::tcgetattr(fd, &saved) != 0) return errnoError("get terminal attributes of fd {}", fd);
    termios raw = saved;
    raw.c_iflag &=
        ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
    raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(fd, TCSANOW, &raw) != 0) return errnoError("set raw mode on fd {}", fd);
    return RawMode(fd, saved);
}

RawMode& RawMode::operator=(RawMode&& o) noexcept {
    if (this != &o) {
        restore();
        fd_ = std::exchange(o.fd_, -1);
        saved_ = o.saved_;
    }
    return *this;
}

void RawMode::restore() {
    if (fd_ < 0) return;
    // TCSANOW as Go's term.Restore: pending output is not waited for.
    (void)::tcsetattr(fd_, TCSANOW, &saved_);
    fd_ = -1;
}

Result<WinchWatcher> WinchWatcher::create() {
    if (gWinchWrite >= 0) return makeError(EBUSY, "a SIGWINCH watcher is already active");
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return errnoError("pipe for SIGWINCH");
    WinchWatcher w;
    w.rd_.reset(p[0]);
    w.wr_.reset(p[1]);
    gWinchWrite = p[1];
    struct sigaction sa {};
    sa.sa_handler = onWinch;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(SIGWINCH, &sa, &w.old_) != 0) {
        gWinchWrite = -1;
        return errnoError("install the SIGWINCH handler");
    }
    w.installed_ = true;
    return w;
}

WinchWatcher::~WinchWatcher() {
    if (!installed_) return;
    (void)::sigaction(SIGWINCH, &old_, nullptr);
    gWinchWrite = -1;  // before wr_ closes: the handler must not write to a reused fd number
}

bool WinchWatcher::drain() {
    char buf[64];
    bool any = false;
    for (;;) {
        ssize_t n = ::read(rd_.get(), buf, sizeof buf);
        if (n > 0) {
            any = true;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return any;
    }
}

}  // namespace berth::cli
