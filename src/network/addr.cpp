#include "network/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <charconv>

namespace berth::net {

Result<IpAddr> IpAddr::parse(std::string_view s) {
    std::string str(s);
    IpAddr a;
    if (::inet_pton(AF_INET, str.c_str(), a.bytes.data()) == 1) {
        a.family = AF_INET;
        return a;
    }
    if (::inet_pton(AF_INET6, str.c_str(), a.bytes.data()) == 1) {
        a.family = AF_INET6;
        return a;
    }
    return invalid("invalid IP address {:?}", s);
}

IpAddr IpAddr::v4(uint32_t hostOrder) {
    IpAddr a;
    a.family = AF_INET;
    for (int i = 0; i < 4; i++) a.bytes[i] = static_cast<uint8_t>(hostOrder >> (24 - 8 * i));
    return a;
}

std::string IpAddr::str() const {
    if (!valid()) return "";
    char buf[INET6_ADDRSTRLEN];
    ::inet_ntop(family, bytes.data(), buf, sizeof buf);
    return buf;
}

IpAddr IpAddr::plus(uint64_t n) const {
    IpAddr r = *this;
    unsigned carry = 0;
    for (int i = static_cast<int>(size()) - 1; i >= 0 && (n || carry); i--) {
        unsigned v = r.bytes[i] + static_cast<unsigned>(n & 0xff) + carry;
        r.bytes[i] = static_cast<uint8_t>(v);
        carry = v >> 8;
        n >>= 8;
    }
    return r;
}

Result<Prefix> Prefix::parse(std::string_view s) {
    Prefix p;
    auto slash = s.find('/');
    p.addr = TRY_CTX(IpAddr::parse(s.substr(0, slash)), "invalid prefix {:?}", s);
    p.len = p.addr.bits();
    if (slash != std::string_view::npos) {
        auto num = s.substr(slash + 1);
        auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), p.len);
        if (ec != std::errc() || end != num.data() + num.size() || num.empty() || p.len < 0 ||
            p.len > p.addr.bits())
            return invalid("invalid prefix length in {:?}", s);
    }
    return p;
}

Prefix Prefix::masked() const {
    Prefix p = *this;
    for (int i = 0; i < static_cast<int>(p.addr.size()); i++) {
        int keep = len - 8 * i;
        if (keep >= 8) continue;
        p.addr.bytes[i] &= keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    }
    return p;
}

bool Prefix::contains(const IpAddr& a) const {
    if (a.family != addr.family) return false;
    Prefix other{a, len};
    return other.masked().addr == masked().addr;
}

bool Prefix::overlaps(const Prefix& p) const {
    if (p.addr.family != addr.family) return false;
    return len <= p.len ? contains(p.addr) : p.contains(addr);
}

uint64_t Prefix::count() const {
    int host = addr.bits() - len;
    return host >= 63 ? (uint64_t{1} << 63) : (uint64_t{1} << host);
}

uint64_t Prefix::offsetOf(const IpAddr& a) const {
    IpAddr base = masked().addr;
    // a - base over the last 8 bytes (or 4 for IPv4), borrowing.
    size_t n = addr.size(), from = n > 8 ? n - 8 : 0;
    uint64_t x = 0, y = 0;
    for (size_t i = from; i < n; i++) {
        x = (x << 8) | a.bytes[i];
        y = (y << 8) | base.bytes[i];
    }
    return x - y;
}

std::string Prefix::str() const {
    return addr.str() + "/" + std::to_string(len);
}

Result<Mac> parseMac(std::string_view s) {
    Mac m{};
    if (s.size() != 17) return invalid("invalid MAC address {:?}", s);
    for (int i = 0; i < 6; i++) {
        auto part = s.substr(static_cast<size_t>(i) * 3, 2);
        if (i < 5 && s[static_cast<size_t>(i) * 3 + 2] != ':')
            return invalid("invalid MAC address {:?}", s);
        auto [end, ec] = std::from_chars(part.data(), part.data() + 2, m[i], 16);
        if (ec != std::errc() || end != part.data() + 2)
            return invalid("invalid MAC address {:?}", s);
    }
    if (m[0] & 1) return invalid("invalid MAC address {:?}: a multicast address", s);
    return m;
}

std::string macStr(const Mac& m) {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                       m[5]);
}

Mac macFromIpv4(const IpAddr& a) {
    return Mac{0x02, 0x42, a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]};
}

Mac randomMac() {
    Mac m{};
    if (::getrandom(m.data(), m.size(), 0) != static_cast<ssize_t>(m.size())) m = {2, 0x42, 1};
    m[0] = static_cast<uint8_t>((m[0] & 0xfe) | 0x02);  // unicast, locally administered
    return m;
}

Result<sockaddr_storage> sockAddr(const std::string& ip, uint16_t port, socklen_t& len) {
    sockaddr_storage ss{};
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, ip.c_str(), &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, ip.c_str(), &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        len = sizeof *s6;
    } else {
        return invalid("bad address '{}'", ip);
    }
    return ss;
}

}  // namespace berth::net
