#include "network/ports.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <random>

#include <fmt/format.h>

#include "common/sys.h"
#include "network/addr.h"

namespace berth::net {
namespace {

Result<IpAddr> hostAddr(const std::string& hostIp) {
    auto a = IpAddr::parse(hostIp.empty() ? "0.0.0.0" : hostIp);
    if (!a) return invalid("invalid host IP '{}'", hostIp);
    return *a;
}

bool isAny(const IpAddr& a) {
    return a == IpAddr{a.family, {}};
}

// "0.0.0.0:8080", "[::]:8080"
std::string where(const IpAddr& a, const std::string& ports) {
    return a.isV4() ? a.str() + ":" + ports : "[" + a.str() + "]:" + ports;
}

Error allocated(const IpAddr& a, const std::string& ports) {
    return Error{EADDRINUSE,
                 fmt::format("Bind for {} failed: port is already allocated", where(a, ports)),
                 true};
}

// Binds (and for TCP listens on) a socket for a.port. An fd of -1 with success means the kernel
// cannot do the protocol (SCTP missing): the port is leased by our table alone.
Result<UniqueFd> holdPort(const std::string& proto, const IpAddr& a, uint16_t port) {
    int type = proto == "udp" ? SOCK_DGRAM : SOCK_STREAM;
    int protocol = proto == "sctp" ? IPPROTO_SCTP : 0;
    int family = a.isV4() ? AF_INET : AF_INET6;
    UniqueFd s(socket(family, type | SOCK_CLOEXEC, protocol));
    if (!s) {
        if (proto == "sctp" && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT))
            return UniqueFd();
        return errnoError("socket");
    }
    int on = 1;
    if (proto != "udp" && setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        return errnoError("SO_REUSEADDR");
    sockaddr_storage ss{};
    socklen_t len;
    if (a.isV4()) {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, a.bytes.data(), 4);
        len = sizeof *s4;
    } else {
        if (setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
            return errnoError("IPV6_V6ONLY");
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, a.bytes.data(), 16);
        len = sizeof *s6;
    }
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return errnoError("bind");
    // Listening makes the port conflict with SO_REUSEADDR binders too; no connection ever
    // reaches the backlog because DNAT happens first.
    if (type == SOCK_STREAM && listen(s.get(), 1) != 0) return errnoError("listen");
    return s;
}

}  // namespace

Result<std::pair<uint16_t, uint16_t>> parsePortRange(std::string_view text) {
    unsigned a = 0, b = 0;
    std::string t(text);
    if (sscanf(t.c_str(), "%u %u", &a, &b) != 2 || a == 0 || a > b || b > 65535)
        return invalid("bad port range '{}'", t);
    return std::pair{static_cast<uint16_t>(a), static_cast<uint16_t>(b)};
}

Result<std::unique_ptr<PortAllocator>> PortAllocator::open(PortAllocatorOptions o) {
    if (o.first == 0 && o.last == 0) {
        std::string t = TRY_CTX(sys::readFile("/proc/sys/net/ipv4/ip_local_port_range"),
                                "ephemeral port range");
        auto r = TRY(parsePortRange(t));
        o.first = r.first;
        o.last = r.second;
    }
    if (o.first == 0 || o.first > o.last) return invalid("bad port range {}-{}", o.first, o.last);
    return std::unique_ptr<PortAllocator>(new PortAllocator(o.first, o.last));
}

bool PortAllocator::takenByUs(const std::string& proto, const std::string& hostIp,
                              uint16_t port) const {
    auto mine = IpAddr::parse(hostIp);
    for (auto& l : leases_) {
        if (l.info.port != port || l.info.proto != proto) continue;
        auto other = IpAddr::parse(l.info.hostIp);
        if (!mine || !other || mine->family != other->family) continue;
        if (*mine == *other || isAny(*mine) || isAny(*other)) return true;
    }
    return false;
}

Result<PortAllocator::Lease> PortAllocator::tryPort(const std::string& owner,
                                                    const std::string& proto,
                                                    const std::string& hostIp, uint16_t port) {
    IpAddr a = TRY(hostAddr(hostIp));
    if (takenByUs(proto, a.str(), port)) return allocated(a, std::to_string(port));
    auto fd = holdPort(proto, a, port);
    if (!fd) {
        if (fd.error().code == EADDRINUSE) return allocated(a, std::to_string(port));
        return Error{fd.error().code,
                     fmt::format("Bind for {} failed: {}", where(a, std::to_string(port)),
                                 fd.error().str())};
    }
    bool held = fd->valid();
    return Lease{{owner, proto, a.str(), port, held}, std::move(*fd)};
}

Result<PortAllocator::Lease> PortAllocator::reserveOne(const std::string& owner,
                                                       const PortRequest& r) {
    if (r.proto != "tcp" && r.proto != "udp" && r.proto != "sctp")
        return invalid("unsupported protocol '{}'", r.proto);
    IpAddr a = TRY(hostAddr(r.hostIp));
    if (r.hostPort != 0 && r.hostPortEnd <= r.hostPort)
        return tryPort(owner, r.proto, r.hostIp, r.hostPort);

    uint16_t lo = r.hostPort ? r.hostPort : first_, hi = r.hostPort ? r.hostPortEnd : last_;
    uint32_t n = uint32_t(hi) - lo + 1, start = 0;
    if (r.hostPort == 0) {  // random start, so restarts do not hand out the same ports first
        static thread_local std::mt19937 rng{std::random_device{}()};
        start = std::uniform_int_distribution<uint32_t>(0, n - 1)(rng);
    }
    for (uint32_t i = 0; i < n; i++) {
        auto port = static_cast<uint16_t>(lo + (start + i) % n);
        auto l = tryPort(owner, r.proto, r.hostIp, port);
        if (l) return l;
        if (l.error().code != EADDRINUSE) return l.error();
    }
    if (r.hostPort) return allocated(a, fmt::format("{}-{}", lo, hi));
    return Error{EADDRINUSE,
                 fmt::format("no free {} port in {}-{} on {}", r.proto, lo, hi, a.str()), true};
}

Result<std::vector<uint16_t>> PortAllocator::reserve(const std::string& owner,
                                                     const std::vector<PortRequest>& reqs) {
    std::lock_guard lk(mu_);
    size_t before = leases_.size();
    std::vector<uint16_t> ports;
    for (auto& r : reqs) {
        auto l = reserveOne(owner, r);
        if (!l) {  // all or none: closes the sockets taken so far
            leases_.erase(leases_.begin() + static_cast<ptrdiff_t>(before), leases_.end());
            return l.error();
        }
        ports.push_back(l->info.port);
        leases_.push_back(std::move(*l));  // before the next request, which must see it
    }
    return ports;
}

Status PortAllocator::restore(const std::string& owner, const std::string& proto,
                              const std::string& hostIp, uint16_t port) {
    std::lock_guard lk(mu_);
    IpAddr a = TRY(hostAddr(hostIp));
    for (auto& l : leases_)  // restoring twice is fine
        if (l.info.owner == owner && l.info.proto == proto && l.info.hostIp == a.str() &&
            l.info.port == port)
            return okStatus();
    auto l = tryPort(owner, proto, hostIp, port);
    if (l) {
        leases_.push_back(std::move(*l));
        return okStatus();
    }
    leases_.push_back(Lease{{owner, proto, a.str(), port, false}, UniqueFd()});
    return l.error();
}

void PortAllocator::release(const std::string& owner) {
    std::lock_guard lk(mu_);
    std::erase_if(leases_, [&](const Lease& l) { return l.info.owner == owner; });
}

std::vector<PortLease> PortAllocator::leases() const {
    std::lock_guard lk(mu_);
    std::vector<PortLease> out;
    for (auto& l : leases_) out.push_back(l.info);
    return out;
}

}  // namespace berth::net
