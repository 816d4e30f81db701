#include "common/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace berth::sys {

Result<UniqueFd> connectUnix(const std::string& path) {
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof sa.sun_path) {
        return invalid("unix socket path \"{}\": empty or longer than {} bytes", path,
                       sizeof sa.sun_path - 1);
    }
    std::memcpy(sa.sun_path, path.data(), path.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return errnoError("socket");
    int rc;
    do {
        rc = ::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return errnoError("connect to {}", path);
    return fd;
}

Status sendWithFd(int sock, std::string_view data, int fd) {
    if (fd >= 0 && data.empty()) return invalid("sending an fd needs at least one byte");
    struct iovec iov = {const_cast<char*>(data.data()), data.size()};
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(struct cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        mh.msg_control = ctrl;
        mh.msg_controllen = sizeof ctrl;
        struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do {
        n = ::sendmsg(sock, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errnoError("sendmsg");
    for (size_t off = static_cast<size_t>(n); off < data.size();) {
        n = ::send(sock, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("send");
        off += static_cast<size_t>(n);
    }
    return {};
}

}  // namespace berth::sys
