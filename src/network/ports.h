// Host ports for published container ports: allocation (a given port, any port of a range, a
// random one from the kernel's ephemeral range) and conflict detection against Berth's own
// bindings and anything else on the host.
//
// Every lease holds a socket bound to hostIp:port in the caller's (the daemon's) network
// namespace, as docker-proxy did: a port taken by another program is found by bind() failing, and
// nobody can take a leased port later. The socket never sees traffic: the nftables DNAT rewrites
// packets before any socket lookup. TCP sockets use SO_REUSEADDR and listen (so TIME_WAIT leftovers
// do not block a port while any other listener still conflicts); UDP and SCTP sockets just bind.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::net {

struct PortRequest {
    std::string proto = "tcp";  // tcp, udp, sctp
    std::string hostIp;         // "" = 0.0.0.0; "::" is IPv6 only (IPV6_V6ONLY)
    uint16_t hostPort = 0;      // 0 = a random free port of the ephemeral range
    uint16_t hostPortEnd = 0;   // > hostPort: any free port of hostPort..hostPortEnd
};

struct PortLease {
    std::string owner;          // container id
    std::string proto, hostIp;  // hostIp normalized: "0.0.0.0" for ""
    uint16_t port = 0;
    bool held = false;  // a socket holds the port (false: restored while somebody else had it)
};

struct PortAllocatorOptions {
    // The range random ports come from; 0/0 = /proc/sys/net/ipv4/ip_local_port_range.
    uint16_t first = 0, last = 0;
};

// "32768 60999" -> {32768, 60999}
Result<std::pair<uint16_t, uint16_t>> parsePortRange(std::string_view text);

class PortAllocator {
  public:
    static Result<std::unique_ptr<PortAllocator>> open(PortAllocatorOptions o = {});
    PortAllocator(const PortAllocator&) = delete;
    PortAllocator& operator=(const PortAllocator&) = delete;

    // Leases one port per request for `owner`, all or none; returns the ports in request order.
    // Errors read like docker's: "Bind for 0.0.0.0:8080 failed: port is already allocated".
    Result<std::vector<uint16_t>> reserve(const std::string& owner,
                                          const std::vector<PortRequest>& reqs);
    // Re-leases a port recorded before a restart. The lease is kept even when binding fails
    // (another program took the port meanwhile; the DNAT rule still wins for new connections),
    // and that failure is returned for the caller to log.
    Status restore(const std::string& owner, const std::string& proto, const std::string& hostIp,
                   uint16_t port);
    // Releases all leases of `owner` (idempotent).
    void release(const std::string& owner);
    std::vector<PortLease> leases() const;
    std::pair<uint16_t, uint16_t> range() const { return {first_, last_}; }

  private:
    struct Lease {
        PortLease info;
        UniqueFd fd;
    };
    PortAllocator(uint16_t first, uint16_t last) : first_(first), last_(last) {}
    // Tries one port: our table first, then bind(). EADDRINUSE means "taken".
    Result<Lease> tryPort(const std::string& owner, const std::string& proto,
                          const std::string& hostIp, uint16_t port);
    Result<Lease> reserveOne(const std::string& owner, const PortRequest& r);
    bool takenByUs(const std::string& proto, const std::string& hostIp, uint16_t port) const;

    uint16_t first_, last_;
    mutable std::mutex mu_;
    std::vector<Lease> leases_;
};

}  // namespace berth::net
