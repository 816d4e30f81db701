#include "runtime/sync.h"

#include <sys/socket.h>

#include "common/unix_socket.h"

#include <cstring>
#include <vector>

namespace berth::sync {

namespace {
struct Header {
    Msg type;
    uint32_t payloadLen;
    int64_t value;
};
constexpr size_t kMaxPayload = 1 << 20;
}  // namespace

Result<Pair> makePair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return errnoError("socketpair");
    }
    return Pair{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

Status send(int sock, Msg type, int64_t value, std::string_view payload, int fd) {
    if (payload.size() > kMaxPayload) return invalid("sync message too large");
    std::string buf(sizeof(Header) + payload.size(), '\0');
    Header h{type, static_cast<uint32_t>(payload.size()), value};
    std::memcpy(buf.data(), &h, sizeof h);
    // An empty string_view may carry a null data(): memcpy must not see it.
    if (!payload.empty()) std::memcpy(buf.data() + sizeof h, payload.data(), payload.size());
    // SOCK_SEQPACKET: one message, never split.
    TRY_CTX(sys::sendWithFd(sock, buf, fd), "sync send");
    return {};
}

Result<Message> recv(int sock) {
    // Peek at the datagram's real length first: a fixed 1 MiB buffer would touch 1 MiB of pages
    // per message (the runtime's peak RSS is a target).
    ssize_t len;
    do {
        len = ::recv(sock, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    } while (len < 0 && errno == EINTR);
    if (len < 0) return errnoError("sync receive");
    std::vector<char> buf(std::max<size_t>(static_cast<size_t>(len), sizeof(Header)));
    struct iovec iov = {buf.data(), buf.size()};
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(struct cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))];
    mh.msg_control = ctrl;
    mh.msg_controllen = sizeof ctrl;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errnoError("sync receive");
    if (n == 0) return makeError(EPIPE, "sync receive: peer exited");
    if (static_cast<size_t>(n) < sizeof(Header)) return invalid("sync receive: short message");
    Header h;
    std::memcpy(&h, buf.data(), sizeof h);
    Message m;
    m.type = h.type;
    m.value = h.value;
    m.payload.assign(buf.data() + sizeof h, std::min<size_t>(h.payloadLen, n - sizeof h));
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            m.fd.reset(fd);
        }
    }
    return m;
}

Result<Message> expect(int sock, Msg type) {
    auto m = TRY(recv(sock));
    if (m.type == Msg::Error) {
        Error e{static_cast<int>(m.value), m.payload};
        e.quiet = true;  // the text already carries the errno name
        return e;
    }
    if (m.type != type) {
        return invalid("sync: expected message {}, got {}", static_cast<uint32_t>(type),
                       static_cast<uint32_t>(m.type));
    }
    return m;
}

void sendError(int sock, const Error& e) { (void)send(sock, Msg::Error, e.code, e.str()); }

}  // namespace berth::sync
