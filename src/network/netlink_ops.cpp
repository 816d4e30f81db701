// The rtnetlink messages: links (bridge, veth, up, hairpin), addresses, the default route.
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cstring>

#include "network/netlink.h"

namespace berth::net {

namespace {

// A message buffer with one family header.
template <typename Hdr>
struct Msg {
    alignas(nlmsghdr) char buf[4096];  // every request here is a few hundred bytes
    nlmsghdr* nlh;
    Hdr* hdr;
    Msg(uint16_t type, uint16_t flags) {
        std::memset(buf, 0, sizeof buf);
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        hdr = static_cast<Hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(Hdr)));
    }
};

// libmnl's mnl_attr_for_each macros assign void* (C only); these are the C++ spelling.
template <typename F>
void forEachAttr(const nlmsghdr* nlh, size_t hdrLen, F f) {
    const char* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, hdrLen));
    for (; mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char*>(a)));
         a = mnl_attr_next(a))
        f(a);
}

template <typename F>
void forEachNested(const nlattr* nest, F f) {
    const char* end = reinterpret_cast<const char*>(nest) + nest->nla_len;
    auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
    for (; mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char*>(a)));
         a = mnl_attr_next(a))
        f(a);
}

void putMac(nlmsghdr* nlh, uint16_t type, const Mac& m) {
    mnl_attr_put(nlh, type, m.size(), m.data());
}

int parseLink(const nlmsghdr* nlh, void* data) {
    auto* out = static_cast<std::vector<LinkInfo>*>(data);
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    LinkInfo li;
    li.index = ifi->ifi_index;
    li.up = (ifi->ifi_flags & IFF_UP) != 0;
    forEachAttr(nlh, sizeof(*ifi), [&](const nlattr* a) {
        switch (mnl_attr_get_type(a)) {
        case IFLA_IFNAME:
            if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) li.name = mnl_attr_get_str(a);
            break;
        case IFLA_MASTER:
            if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
                li.master = static_cast<int>(mnl_attr_get_u32(a));
            break;
        case IFLA_LINKINFO:
            forEachNested(a, [&](const nlattr* b) {
                if (mnl_attr_get_type(b) == IFLA_INFO_KIND &&
                    mnl_attr_validate(b, MNL_TYPE_NUL_STRING) == 0)
                    li.kind = mnl_attr_get_str(b);
            });
            break;
        default:
            break;
        }
    });
    out->push_back(std::move(li));
    return MNL_CB_OK;
}

struct AddrQuery {
    int index;
    std::vector<Prefix> out;
};

int parseAddr(const nlmsghdr* nlh, void* data) {
    auto* q = static_cast<AddrQuery*>(data);
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    if (static_cast<int>(ifa->ifa_index) != q->index) return MNL_CB_OK;
    Prefix p;
    p.addr.family = ifa->ifa_family;
    p.len = ifa->ifa_prefixlen;
    size_t want = ifa->ifa_family == AF_INET ? 4 : 16;
    bool found = false;
    forEachAttr(nlh, sizeof(*ifa), [&](const nlattr* a) {
        int type = mnl_attr_get_type(a);
        // IFA_LOCAL is the address itself on IPv4 (IFA_ADDRESS is the peer on p2p links).
        if ((type == IFA_LOCAL || (type == IFA_ADDRESS && !found)) &&
            mnl_attr_get_payload_len(a) == want) {
            std::memcpy(p.addr.bytes.data(), mnl_attr_get_payload(a), want);
            found = true;
        }
    });
    if (found) q->out.push_back(p);
    return MNL_CB_OK;
}

}  // namespace

Result<LinkInfo> Netlink::link(const std::string& name) {
    Msg<ifinfomsg> m(RTM_GETLINK, 0);
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, name.c_str());
    std::vector<LinkInfo> out;
    TRY_CTX(request(m.nlh, parseLink, &out), "look up link {}", name);
    if (out.empty()) return makeError(ENODEV, "look up link {}: no answer", name);
    return out[0];
}

Result<int> Netlink::linkIndex(const std::string& name) { return TRY(link(name)).index; }

Result<std::vector<LinkInfo>> Netlink::links() {
    Msg<ifinfomsg> m(RTM_GETLINK, 0);
    std::vector<LinkInfo> out;
    TRY_CTX(dump(m.nlh, parseLink, &out), "list links");
    return out;
}

Status Netlink::createBridge(const std::string& name, int mtu, const Mac& mac) {
    Msg<ifinfomsg> m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    m.hdr->ifi_flags = IFF_UP;
    m.hdr->ifi_change = IFF_UP;
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, name.c_str());
    mnl_attr_put_u32(m.nlh, IFLA_MTU, static_cast<uint32_t>(mtu));
    putMac(m.nlh, IFLA_ADDRESS, mac);  // fixed, so it does not follow the ports' MACs
    nlattr* info = mnl_attr_nest_start(m.nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(m.nlh, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(m.nlh, info);
    TRY_CTX(request(m.nlh), "create bridge {}", name);
    return {};
}

Status Netlink::createVeth(const VethSpec& v) {
    Msg<ifinfomsg> m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    m.hdr->ifi_flags = IFF_UP;
    m.hdr->ifi_change = IFF_UP;
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, v.hostName.c_str());
    mnl_attr_put_u32(m.nlh, IFLA_MTU, static_cast<uint32_t>(v.mtu));
    if (v.master) mnl_attr_put_u32(m.nlh, IFLA_MASTER, static_cast<uint32_t>(v.master));
    nlattr* info = mnl_attr_nest_start(m.nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(m.nlh, IFLA_INFO_KIND, "veth");
    nlattr* data = mnl_attr_nest_start(m.nlh, IFLA_INFO_DATA);
    nlattr* peer = mnl_attr_nest_start(m.nlh, VETH_INFO_PEER);
    // The peer's own ifinfomsg comes first inside VETH_INFO_PEER, then its attributes.
    auto* pifi = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload_tail(m.nlh));
    m.nlh->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
    // Not IFF_UP: the kernel opens the peer before pairing it (veth_open fails, ENOTCONN).
    std::memset(pifi, 0, sizeof *pifi);
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, v.peerName.c_str());
    mnl_attr_put_u32(m.nlh, IFLA_MTU, static_cast<uint32_t>(v.mtu));
    if (v.peerNsFd >= 0) mnl_attr_put_u32(m.nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(v.peerNsFd));
    if (v.peerMac) putMac(m.nlh, IFLA_ADDRESS, *v.peerMac);
    mnl_attr_nest_end(m.nlh, peer);
    mnl_attr_nest_end(m.nlh, data);
    mnl_attr_nest_end(m.nlh, info);
    TRY_CTX(request(m.nlh), "create veth {} (peer {})", v.hostName, v.peerName);
    return {};
}

Status Netlink::deleteLink(const std::string& name) {
    Msg<ifinfomsg> m(RTM_DELLINK, 0);
    mnl_attr_put_strz(m.nlh, IFLA_IFNAME, name.c_str());
    TRY_CTX(request(m.nlh), "delete link {}", name);
    return {};
}

Status Netlink::setUp(int index) {
    Msg<ifinfomsg> m(RTM_NEWLINK, 0);
    m.hdr->ifi_index = index;
    m.hdr->ifi_flags = IFF_UP;
    m.hdr->ifi_change = IFF_UP;
    TRY_CTX(request(m.nlh), "set link {} up", index);
    return {};
}

Status Netlink::setMaster(int index, int master) {
    Msg<ifinfomsg> m(RTM_NEWLINK, 0);
    m.hdr->ifi_index = index;
    mnl_attr_put_u32(m.nlh, IFLA_MASTER, static_cast<uint32_t>(master));
    TRY_CTX(request(m.nlh), "attach link {} to bridge {}", index, master);
    return {};
}

Status Netlink::setBridgePort(int index, bool hairpin, bool isolated) {
    Msg<ifinfomsg> m(RTM_SETLINK, 0);
    m.hdr->ifi_family = AF_BRIDGE;
    m.hdr->ifi_index = index;
    nlattr* pi = mnl_attr_nest_start(m.nlh, IFLA_PROTINFO | NLA_F_NESTED);
    mnl_attr_put_u8(m.nlh, IFLA_BRPORT_MODE, hairpin ? BRIDGE_MODE_HAIRPIN : BRIDGE_MODE_VEB);
    mnl_attr_put_u8(m.nlh, IFLA_BRPORT_ISOLATED, isolated ? 1 : 0);
    mnl_attr_nest_end(m.nlh, pi);
    TRY_CTX(request(m.nlh), "set bridge port flags of link {}", index);
    return {};
}

Status Netlink::addAddress(int index, const Prefix& p, bool nodad) {
    Msg<ifaddrmsg> m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
    m.hdr->ifa_family = static_cast<uint8_t>(p.addr.family);
    m.hdr->ifa_prefixlen = static_cast<uint8_t>(p.len);
    m.hdr->ifa_index = static_cast<uint32_t>(index);
    m.hdr->ifa_scope = RT_SCOPE_UNIVERSE;
    if (p.addr.isV4()) {
        mnl_attr_put(m.nlh, IFA_LOCAL, 4, p.addr.bytes.data());
        mnl_attr_put(m.nlh, IFA_ADDRESS, 4, p.addr.bytes.data());
        if (p.len < 31) {
            IpAddr brd = p.masked().addr.plus(p.count() - 1);
            mnl_attr_put(m.nlh, IFA_BROADCAST, 4, brd.bytes.data());
        }
    } else {
        mnl_attr_put(m.nlh, IFA_ADDRESS, 16, p.addr.bytes.data());
        if (nodad) {
            m.hdr->ifa_flags = IFA_F_NODAD;
            mnl_attr_put_u32(m.nlh, IFA_FLAGS, IFA_F_NODAD);
        }
    }
    TRY_CTX(request(m.nlh), "add address {} to link {}", p.str(), index);
    return {};
}

Result<std::vector<Prefix>> Netlink::addresses(int index) {
    Msg<ifaddrmsg> m(RTM_GETADDR, 0);
    AddrQuery q{index, {}};
    TRY_CTX(dump(m.nlh, parseAddr, &q), "list addresses");
    return q.out;
}

Status Netlink::replaceDefaultRoute(int index, const IpAddr& gw) {
    Msg<rtmsg> m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    m.hdr->rtm_family = static_cast<uint8_t>(gw.family);
    m.hdr->rtm_table = RT_TABLE_MAIN;
    m.hdr->rtm_protocol = RTPROT_BOOT;
    m.hdr->rtm_scope = RT_SCOPE_UNIVERSE;
    m.hdr->rtm_type = RTN_UNICAST;
    mnl_attr_put(m.nlh, RTA_GATEWAY, gw.size(), gw.bytes.data());
    mnl_attr_put_u32(m.nlh, RTA_OIF, static_cast<uint32_t>(index));
    TRY_CTX(request(m.nlh), "add default route via {}", gw.str());
    return {};
}

}  // namespace berth::net
