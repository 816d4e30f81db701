#include "monitor/protocol.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/sys.h"

namespace berth::monitor::proto {

void encodeRequest(const Request& r, char out[kRequestSize]) {
    out[0] = static_cast<char>(r.type);
    out[1] = static_cast<char>(r.flags);
    out[2] = out[3] = 0;
    out[4] = static_cast<char>(r.height >> 8);
    out[5] = static_cast<char>(r.height & 0xff);
    out[6] = static_cast<char>(r.width >> 8);
    out[7] = static_cast<char>(r.width & 0xff);
}

Request decodeRequest(const char in[kRequestSize]) {
    auto u = [&](int i) { return static_cast<uint8_t>(in[i]); };
    Request r;
    r.type = u(0);
    r.flags = u(1);
    r.height = static_cast<uint16_t>(u(4) << 8 | u(5));
    r.width = static_cast<uint16_t>(u(6) << 8 | u(7));
    return r;
}

namespace {

Status sendPacket(int fd, const char* data, size_t n) {
    ssize_t w;
    do {
        w = ::send(fd, data, n, MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    if (w < 0) return errnoError("send control message");
    return {};
}

// A sockaddr for dir/name, through /proc/self/fd when the path is too long; `holder` keeps the
// directory fd open as long as the address is used.
Result<socklen_t> makeAddr(const std::string& path, sockaddr_un& sa, UniqueFd& holder) {
    sa = {};
    sa.sun_family = AF_UNIX;
    std::string p = path;
    if (p.size() >= sizeof sa.sun_path) {
        auto slash = p.rfind('/');
        if (slash == std::string::npos) return invalid("socket name {} too long", p);
        holder = TRY(sys::open(p.substr(0, slash), O_PATH | O_DIRECTORY | O_CLOEXEC));
        p = sys::fdPath(holder.get()) + p.substr(slash);
        if (p.size() >= sizeof sa.sun_path) return invalid("socket name {} too long", path);
    }
    std::memcpy(sa.sun_path, p.data(), p.size());
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size() + 1);
}

}  // namespace

Status sendMsg(int fd, char kind, int64_t a, int64_t b, int64_t c) {
    char buf[96];
    int n = std::snprintf(buf, sizeof buf, "%c %lld %lld %lld", kind, static_cast<long long>(a),
                          static_cast<long long>(b), static_cast<long long>(c));
    return sendPacket(fd, buf, static_cast<size_t>(n));
}

Status sendError(int fd, const Error& e) {
    std::string s = fmt::format("E {} {} {}", e.code, e.quiet ? 1 : 0, e.msg);
    if (s.size() > 60000) s.resize(60000);
    return sendPacket(fd, s.data(), s.size());
}

Result<Msg> recvMsg(int fd) {
    char buf[65536];  // on the stack: only the pages a message reaches get touched
    ssize_t n;
    do {
        n = ::recv(fd, buf, sizeof buf - 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errnoError("receive control message");
    if (n == 0) return makeError(EPIPE, "peer closed the control socket");
    buf[n] = 0;
    Msg m;
    m.kind = buf[0];
    if (m.kind == 'E') {
        char* p = buf + 1;
        m.err.code = static_cast<int>(std::strtol(p, &p, 10));
        m.err.quiet = std::strtol(p, &p, 10) != 0;
        if (*p == ' ') p++;
        m.err.msg = p;
        return m;
    }
    char* p = buf + 1;
    m.a = std::strtoll(p, &p, 10);
    m.b = std::strtoll(p, &p, 10);
    m.c = std::strtoll(p, &p, 10);
    return m;
}

Result<UniqueFd> connectPath(const std::string& path) {
    sockaddr_un sa;
    UniqueFd holder;
    socklen_t len = TRY(makeAddr(path, sa, holder));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return errnoError("socket");
    int rc;
    do {
        rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), len);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return errnoError("connect to {}", path);
    return fd;
}

Result<UniqueFd> listenAt(int dirFd, const char* name, int backlog) {
    std::string path = sys::fdPath(dirFd) + "/" + name;
    sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    ::unlinkat(dirFd, name, 0);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return errnoError("socket");
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
        return errnoError("bind {}", name);
    }
    if (::listen(fd.get(), backlog) < 0) return errnoError("listen on {}", name);
    return fd;
}

Result<UniqueFd> recvFd(int sock, int flags) {
    char data[256];
    iovec iov = {data, sizeof data};
    msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
    mh.msg_control = ctrl;
    mh.msg_controllen = sizeof ctrl;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errnoError("recvmsg");
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            return UniqueFd(fd);
        }
    }
    return UniqueFd();
}

int64_t nowNs() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace berth::monitor::proto
