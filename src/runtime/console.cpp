#include "runtime/console.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>


#include "common/sys.h"
#include "common/unix_socket.h"

namespace berth::console {

Result<UniqueFd> connectSocket(const std::string& path) {
    return TRY_CTX(sys::connectUnix(path), "console socket");
}

Result<UniqueFd> setupPty(const std::optional<spec::ConsoleSize>& size, bool bindConsole) {
    auto master = TRY(sys::open("/dev/ptmx", O_RDWR | O_NOCTTY));
    int unlock = 0;
    if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return errnoError("unlock pty");
    // TIOCGPTPEER opens the slave through the master, with no path lookup an attacker could
    // redirect.
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) return errnoError("open pty slave");
    if (size && (size->width || size->height)) {
        struct winsize ws = {};
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
        if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) return errnoError("set pty size");
    }
    if (bindConsole) {
        TRY_CTX(sys::mount(sys::fdPath(slave.get()), "/dev/console", "", MS_BIND),
                "bind pty on /dev/console");
    }
    if (::setsid() < 0 && errno != EPERM) return errnoError("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) return errnoError("set controlling terminal");
    for (int i = 0; i < 3; i++) {
        if (::dup2(slave.get(), i) < 0) return errnoError("dup pty to fd {}", i);
    }
    return master;
}

Status sendFd(int sock, int fd, const std::string& name) {
    TRY_CTX(sys::sendWithFd(sock, name, fd), "send pty to console socket");
    return {};
}

}  // namespace berth::console
