// rtnetlink through libmnl: the few link, address and route operations the bridge driver needs.
// A Netlink object is a socket bound to the netns it was opened in (the daemon's, or a
// sandbox's via openIn()); every request waits for the kernel's ack, so errors carry the errno.
// Not thread-safe: one user at a time (the manager's lock).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "network/addr.h"

struct mnl_socket;
struct nlmsghdr;

namespace berth::net {

struct LinkInfo {
    int index = 0;
    std::string name, kind;  // kind: "bridge", "veth", ... ("" for devices without one)
    int master = 0;          // ifindex of the bridge a port is attached to
    bool up = false;
};

struct VethSpec {
    std::string hostName;  // stays in this socket's netns, attached to `master`, up
    std::string peerName;  // created directly in `peerNsFd`'s netns, down
    int peerNsFd = -1;
    int master = 0;
    int mtu = 1500;
    std::optional<Mac> peerMac;
};

class Netlink {
public:
    // A socket in the calling thread's netns.
    static Result<Netlink> open();
    // A socket in the netns `nsFd` refers to (opened from a thread that joins it).
    static Result<Netlink> openIn(int nsFd);

    Netlink() = default;  // not open: assign from open()/openIn() before use
    bool valid() const { return sock_ != nullptr; }
    Netlink(Netlink&&) noexcept;
    Netlink& operator=(Netlink&&) noexcept;
    ~Netlink();

    // ENODEV when there is no such link.
    Result<LinkInfo> link(const std::string& name);
    Result<int> linkIndex(const std::string& name);
    Result<std::vector<LinkInfo>> links();

    Status createBridge(const std::string& name, int mtu, const Mac& mac);
    Status createVeth(const VethSpec& v);
    // ENODEV when there is no such link (callers that clean up ignore it).
    Status deleteLink(const std::string& name);
    Status setUp(int index);
    Status setMaster(int index, int master);
    // Bridge port flags of a bridge's port: hairpin (a container reaches its own published
    // port through the host) and isolated (no traffic with other isolated ports: icc=false).
    Status setBridgePort(int index, bool hairpin, bool isolated);

    // Adds (or replaces) an address; nodad: usable at once (IPv6 skips duplicate detection).
    Status addAddress(int index, const Prefix& p, bool nodad = true);
    Result<std::vector<Prefix>> addresses(int index);
    // Default route via `gw` on `index` (replaces an existing default route).
    Status replaceDefaultRoute(int index, const IpAddr& gw);

private:
    static Result<Netlink> fromSocket(mnl_socket* s);
    // Sends one request with NLM_F_ACK and waits for the ack; answers before it go to `cb`.
    Status request(nlmsghdr* nlh, int (*cb)(const nlmsghdr*, void*) = nullptr,
                   void* data = nullptr);
    // Sends one dump request; `cb(nlh)` for each answer.
    Status dump(nlmsghdr* nlh, int (*cb)(const nlmsghdr*, void*), void* data);

    mnl_socket* sock_ = nullptr;
    unsigned portid_ = 0;
    unsigned seq_ = 0;
};

}  // namespace berth::net
