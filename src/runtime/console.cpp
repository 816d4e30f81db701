#include "runtime/console.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "common/sys.h"

namespace berth::console {

Result<UniqueFd> connectSocket(const std::string& path) {
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) return invalid("console socket path too long: {}", path);
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return errnoError("socket");
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) < 0) {
        return errnoError("connect to console socket {}", path);
    }
    return fd;
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
    struct iovec iov = {const_cast<char*>(name.data()), name.size()};
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(struct cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
    mh.msg_control = ctrl;
    mh.msg_controllen = sizeof ctrl;
    struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (::sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) return errnoError("send pty to console socket");
    return {};
}

}  // namespace berth::console
