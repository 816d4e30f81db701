// IP address management: subnets for networks from address pools, addresses for endpoints
// inside a network's subnet. Pure in-memory bookkeeping; the manager persists what it hands out
// (network records hold subnets, sandbox records hold addresses) and replays it on open().
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "network/addr.h"

namespace berth::net {

// "172.18.0.0/15/16": subnets of size /16 carved out of 172.18.0.0/15.
struct Pool {
    Prefix base;
    int size = 0;
    static Result<Pool> parse(std::string_view s);
};

// Docker's default local address pools.
std::vector<Pool> defaultPools();

// The first /size of the pools (in order) overlapping none of `used`; a clear error when the
// pools are exhausted.
Result<Prefix> allocateSubnet(const std::vector<Pool>& pools, const std::vector<Prefix>& used);

// The first prefix in `used` that overlaps `p`, if any.
std::optional<Prefix> findOverlap(const Prefix& p, const std::vector<Prefix>& used);

// A ULA /64 for a network: <ula48>:<n>::/64 with the first n not in `used`.
Result<Prefix> allocateUlaSubnet(const Prefix& ula48, const std::vector<Prefix>& used);
// A random fdXX:XXXX:XXXX::/48 (RFC 4193 global ID).
Prefix randomUla48();

// Addresses of one subnet. Dynamic allocation walks the range from just after the last address
// handed out (so a released address is not reused at once) and skips the network address, the
// IPv4 broadcast address and the gateway.
class AddressSpace {
public:
    // `range` (ip-range) must lie inside `subnet`; `gateway` inside `subnet`.
    static Result<AddressSpace> make(const Prefix& subnet, std::optional<Prefix> range,
                                     const IpAddr& gateway);

    Result<IpAddr> allocate();
    // A specific address (static --ip, or replaying records): must be inside the subnet,
    // not reserved and free.
    Status reserve(const IpAddr& a);
    void release(const IpAddr& a);

    const Prefix& subnet() const { return subnet_; }
    const IpAddr& gateway() const { return gateway_; }
    bool inUse(const IpAddr& a) const { return used_.count(a) != 0; }
    size_t used() const { return used_.size(); }

private:
    bool reserved(const IpAddr& a) const;

    Prefix subnet_, range_;
    IpAddr gateway_;
    std::set<IpAddr> used_;
    uint64_t next_ = 0;  // offset within range_ where the next search starts
};

}  // namespace berth::net
