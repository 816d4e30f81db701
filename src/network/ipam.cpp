#include "network/ipam.h"

#include <sys/random.h>

#include <charconv>

namespace berth::net {

Result<Pool> Pool::parse(std::string_view s) {
    auto slash = s.rfind('/');
    if (slash == std::string_view::npos || s.find('/') == slash)
        return invalid("invalid address pool {:?}: want base/prefix/size", s);
    Pool p;
    p.base = TRY_CTX(Prefix::parse(s.substr(0, slash)), "address pool {:?}", s);
    auto num = s.substr(slash + 1);
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), p.size);
    if (ec != std::errc() || end != num.data() + num.size() || p.size < p.base.len ||
        p.size > p.base.addr.bits())
        return invalid("invalid address pool {:?}: size must be in /{}../{}", s, p.base.len,
                       p.base.addr.bits());
    if (!p.base.isNetwork()) return invalid("invalid address pool {:?}: base has host bits", s);
    return p;
}

std::vector<Pool> defaultPools() {
    std::vector<Pool> out;
    for (const char* s : {"172.17.0.0/16/16", "172.18.0.0/15/16", "172.20.0.0/14/16",
                          "172.24.0.0/14/16", "172.28.0.0/14/16", "192.168.0.0/16/20"})
        out.push_back(Pool::parse(s).value());
    return out;
}

std::optional<Prefix> findOverlap(const Prefix& p, const std::vector<Prefix>& used) {
    for (const auto& u : used)
        if (p.overlaps(u)) return u;
    return std::nullopt;
}

Result<Prefix> allocateSubnet(const std::vector<Pool>& pools, const std::vector<Prefix>& used) {
    for (const auto& pool : pools) {
        if (!pool.base.addr.isV4()) continue;
        uint64_t n = uint64_t{1} << (pool.size - pool.base.len);
        uint64_t step = uint64_t{1} << (32 - pool.size);
        for (uint64_t i = 0; i < n; i++) {
            Prefix cand{pool.base.addr.plus(i * step), pool.size};
            if (!findOverlap(cand, used)) return cand;
        }
    }
    return makeError(ENOSPC,
                     "could not find an available, non-overlapping IPv4 address pool among the "
                     "defaults to assign to the network");
}

Result<Prefix> allocateUlaSubnet(const Prefix& ula48, const std::vector<Prefix>& used) {
    for (uint32_t n = 0; n < 0x10000; n++) {
        Prefix cand = ula48.masked();
        cand.len = 64;
        cand.addr.bytes[6] = static_cast<uint8_t>(n >> 8);
        cand.addr.bytes[7] = static_cast<uint8_t>(n);
        if (!findOverlap(cand, used)) return cand;
    }
    return makeError(ENOSPC, "no free IPv6 /64 left in {}", ula48.str());
}

Prefix randomUla48() {
    Prefix p;
    p.addr.family = AF_INET6;
    p.len = 48;
    p.addr.bytes[0] = 0xfd;
    if (::getrandom(&p.addr.bytes[1], 5, 0) != 5) p.addr.bytes[1] = 0x42;
    return p;
}

Result<AddressSpace> AddressSpace::make(const Prefix& subnet, std::optional<Prefix> range,
                                        const IpAddr& gateway) {
    AddressSpace s;
    s.subnet_ = subnet.masked();
    s.range_ = range ? range->masked() : s.subnet_;
    s.gateway_ = gateway;
    if (!s.subnet_.contains(s.range_))
        return invalid("ip-range {} is not inside subnet {}", s.range_.str(), s.subnet_.str());
    if (gateway.valid() && !s.subnet_.contains(gateway))
        return invalid("gateway {} is not inside subnet {}", gateway.str(), s.subnet_.str());
    return s;
}

bool AddressSpace::reserved(const IpAddr& a) const {
    if (a == subnet_.masked().addr || a == gateway_) return true;
    return subnet_.addr.isV4() && subnet_.len < 31 && subnet_.offsetOf(a) == subnet_.count() - 1;
}

Result<IpAddr> AddressSpace::allocate() {
    uint64_t n = range_.count();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t off = (next_ + i) % n;
        IpAddr a = range_.at(off);
        if (reserved(a) || used_.count(a)) continue;
        used_.insert(a);
        next_ = (off + 1) % n;
        return a;
    }
    return makeError(ENOSPC, "no available IP addresses on the network (range {})",
                     range_.str());
}

Status AddressSpace::reserve(const IpAddr& a) {
    if (!subnet_.contains(a))
        return invalid("no configured subnet or ip-range contain the IP address {}", a.str());
    if (reserved(a)) return makeError(EADDRINUSE, "address {} is reserved", a.str());
    if (!used_.insert(a).second)
        return makeError(EADDRINUSE, "Address already in use: {}", a.str());
    return {};
}

void AddressSpace::release(const IpAddr& a) { used_.erase(a); }

}  // namespace berth::net
