// The socket side of Netlink: open (here or in another netns), send one request, read the
// answers until the ack (or NLMSG_DONE for dumps), turning NLMSG_ERROR into an Error that
// carries the kernel's extended-ack message when it gave one.
#include "network/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "network/netns.h"

namespace berth::net {

namespace {

// The extended-ack message attached to an NLMSG_ERROR, if any.
std::string extackMessage(const nlmsghdr* nlh) {
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
    std::string msg;
    // With NETLINK_CAP_ACK the echoed request is only its header, which nlmsgerr contains.
    mnl_attr_parse(
        nlh, sizeof(nlmsgerr),
        [](const nlattr* a, void* data) -> int {
            if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
                mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
                *static_cast<std::string*>(data) = mnl_attr_get_str(a);
            return MNL_CB_OK;
        },
        &msg);
    return msg;
}

}  // namespace

Result<Netlink> Netlink::fromSocket(mnl_socket* s) {
    Netlink nl;
    nl.sock_ = s;
    int one = 1;
    int fd = mnl_socket_get_fd(s);
    // Best effort: older kernels lack them and then errors just have no message.
    ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) return errnoError("bind netlink socket");
    nl.portid_ = mnl_socket_get_portid(s);
    nl.seq_ = 1;
    return nl;
}

Result<Netlink> Netlink::open() {
    mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!s) return errnoError("open netlink socket");
    return fromSocket(s);
}

Result<Netlink> Netlink::openIn(int nsFd) {
    return inNetns(nsFd, [] { return open(); });
}

Netlink::Netlink(Netlink&& o) noexcept
    : sock_(std::exchange(o.sock_, nullptr)), portid_(o.portid_), seq_(o.seq_) {}

Netlink& Netlink::operator=(Netlink&& o) noexcept {
    if (this != &o) {
        if (sock_) mnl_socket_close(sock_);
        sock_ = std::exchange(o.sock_, nullptr);
        portid_ = o.portid_;
        seq_ = o.seq_;
    }
    return *this;
}

Netlink::~Netlink() {
    if (sock_) mnl_socket_close(sock_);
}

namespace {

struct Transaction {
    int (*cb)(const nlmsghdr*, void*) = nullptr;
    void* data = nullptr;
};

}  // namespace

// One request; answers are passed to cb until the ack, an error or NLMSG_DONE.
static Status transact(mnl_socket* sock, unsigned portid, nlmsghdr* nlh, const Transaction& t) {
    if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) return errnoError("netlink send");
    std::vector<char> buf(32768);  // a dump answer fits (the kernel sends <= 32 KiB)
    unsigned seq = nlh->nlmsg_seq;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(sock, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("netlink receive");
        }
        const auto* m = reinterpret_cast<const nlmsghdr*>(buf.data());
        int len = static_cast<int>(n);
        for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
            if (m->nlmsg_seq != seq || m->nlmsg_pid != portid) continue;
            if (m->nlmsg_type == NLMSG_ERROR) {
                const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
                if (err->error == 0) return {};
                std::string ext = extackMessage(m);
                return Error{-err->error, ext.empty() ? "netlink" : "netlink: " + ext};
            }
            if (m->nlmsg_type == NLMSG_DONE) {
                int e = 0;
                if (mnl_nlmsg_get_payload_len(m) >= sizeof e)
                    std::memcpy(&e, mnl_nlmsg_get_payload(m), sizeof e);
                if (e < 0) return Error{-e, "netlink dump"};
                return {};
            }
            if (t.cb && t.cb(m, t.data) < 0) return Error{EPROTO, "netlink: malformed answer"};
        }
    }
}

Status Netlink::request(nlmsghdr* nlh, int (*cb)(const nlmsghdr*, void*), void* data) {
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++seq_;
    return transact(sock_, portid_, nlh, {cb, data});
}

Status Netlink::dump(nlmsghdr* nlh, int (*cb)(const nlmsghdr*, void*), void* data) {
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    return transact(sock_, portid_, nlh, {cb, data});
}

}  // namespace berth::net
