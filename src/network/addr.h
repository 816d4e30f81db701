// IPv4/IPv6 addresses and prefixes as plain values: parsing, printing and the little arithmetic
// IPAM needs (offsets inside a prefix, overlap tests).
#pragma once

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::net {

struct IpAddr {
    int family = 0;                   // AF_INET or AF_INET6; 0 = none
    std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

    static Result<IpAddr> parse(std::string_view s);
    static IpAddr v4(uint32_t hostOrder);

    bool valid() const { return family != 0; }
    bool isV4() const { return family == AF_INET; }
    int bits() const { return isV4() ? 32 : 128; }
    size_t size() const { return isV4() ? 4 : 16; }
    std::string str() const;
    // Adds `n` to the address (carrying across bytes; wraps silently past the end).
    IpAddr plus(uint64_t n) const;

    auto operator<=>(const IpAddr&) const = default;
};

struct Prefix {
    IpAddr addr;  // not necessarily masked (an interface address keeps its host part)
    int len = 0;

    // "10.1.0.0/16"; a bare address means a host prefix (/32, /128).
    static Result<Prefix> parse(std::string_view s);

    Prefix masked() const;  // host bits cleared
    bool isNetwork() const { return masked().addr == addr; }
    bool contains(const IpAddr& a) const;
    bool contains(const Prefix& p) const { return p.len >= len && contains(p.addr); }
    bool overlaps(const Prefix& p) const;
    // Number of addresses, capped at 2^63 (IPv6 prefixes are huge).
    uint64_t count() const;
    // Offset of `a` from the network address (the low 64 bits of the difference).
    uint64_t offsetOf(const IpAddr& a) const;
    IpAddr at(uint64_t offset) const { return masked().addr.plus(offset); }
    std::string str() const;

    auto operator<=>(const Prefix&) const = default;
};

// A locally administered unicast MAC.
using Mac = std::array<uint8_t, 6>;
Result<Mac> parseMac(std::string_view s);

// "10.0.0.1" / "fd00::1" and a port as a socket address (len set to its size).
Result<sockaddr_storage> sockAddr(const std::string& ip, uint16_t port, socklen_t& len);
std::string macStr(const Mac& m);
// 02:42:<the four bytes of the IPv4 address> as docker did: stable for an address, so peers'
// ARP caches stay right when a container restarts with the same address.
Mac macFromIpv4(const IpAddr& a);
Mac randomMac();

}  // namespace berth::net
