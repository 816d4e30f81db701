// Socket-level redirect of published TCP ports for clients on the daemon's own host.
//
// A client in berthd's network namespace that connects to a published port (127.0.0.1:8080,
// or any other local address) would take the nftables path: DNAT in the output hook, a
// re-route, masquerade for 127.0.0.0/8, and conntrack's NAT rewrite on every packet. With the
// redirect, a cgroup/connect4 eBPF program rewrites the destination of connect() itself to the
// container's address and port, so the connection runs as if it had been made to the container
// directly: no NAT per packet (as Cilium's socket load-balancer, or kube-proxy's replacements).
//
//   - Scope: only sockets of berthd's network namespace (the program compares the netns cookie),
//     TCP over IPv4. The program is attached to the root of the cgroup2 hierarchy, so it sees
//     every process; everything else passes untouched, and UDP, IPv6 and clients in other
//     namespaces (containers, the outside) keep the nftables rules, which stay complete: the
//     redirect is an accelerator, never the only path. A miss (an address added to the host
//     since the last sync) falls back to those rules as well.
//   - What the client sees: getpeername() gives the published address back (a cgroup/
//     getpeername4 program, keyed by socket cookie). What the container sees is what the DNAT
//     path gives: the bridge's gateway for a loopback client, the client's own local address
//     otherwise (the program binds the socket to the address it asked for, as the DNAT path
//     keeps it as the source).
//   - Lifetime: the programs are held by bpf_links whose only references are this object's file
//     descriptors, so they go when it does, also when berthd is killed: nothing is left behind.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::net {

// One published TCP/IPv4 port: hostIp "" or "0.0.0.0" means every local address.
struct RedirectPort {
    std::string hostIp;
    uint16_t hostPort = 0;
    std::string containerIp;
    uint16_t containerPort = 0;
};

// The map the connect4 program reads: (local address, host port) -> (container address, port),
// all in network byte order as the kernel stores them. Pure, for tests.
struct RedirectKey {
    uint32_t addr = 0;
    uint32_t port = 0;  // htons(port) in the low 16 bits
    auto operator<=>(const RedirectKey&) const = default;
};
using RedirectTable = std::map<RedirectKey, RedirectKey>;
// `localAddrs`: the IPv4 addresses of the namespace (dotted). Wildcard ports get one entry per
// local address; a port bound to one address gets an entry only while that address is local.
Result<RedirectTable> redirectTable(const std::vector<RedirectPort>& ports,
                                    const std::vector<std::string>& localAddrs);

class SocketRedirect {
  public:
    // Loads the programs and attaches them to the cgroup2 directory `cgroupRoot` (the root of
    // the hierarchy, so every process is covered). Fails with a clear error when the kernel or
    // the caller's capabilities don't allow it; the caller then keeps the nftables path alone.
    static Result<std::unique_ptr<SocketRedirect>> open(const std::string& cgroupRoot);
    ~SocketRedirect();
    SocketRedirect(const SocketRedirect&) = delete;
    SocketRedirect& operator=(const SocketRedirect&) = delete;

    // Makes the kernel map hold exactly `ports` for the namespace's current local addresses
    // (only the difference is written). Entries that don't fit the map are left to nftables.
    Status sync(const std::vector<RedirectPort>& ports);
    // What the kernel map holds now (for tests and debugging).
    Result<RedirectTable> entries() const;
    uint64_t netnsCookie() const { return cookie_; }

  private:
    SocketRedirect() = default;

    uint64_t cookie_ = 0;
    UniqueFd svcMap_, revMap_, connectProg_, peerProg_, connectLink_, peerLink_;
    RedirectTable current_;  // what svcMap_ holds
};

// The namespace's own IPv4 addresses (getifaddrs), dotted.
Result<std::vector<std::string>> localIpv4Addresses();

}  // namespace berth::net
