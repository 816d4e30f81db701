// The services the manager drives (firewall, host ports, DNS): opening them, leasing published
// ports, and the manager's lifetime ends (constructor, shutdown).
#include "common/log.h"
#include "common/sys.h"
#include "network/dns.h"
#include "network/firewall.h"
#include "network/manager_impl.h"
#include "network/ports.h"
#include "network/sock_redirect.h"
#include "network/sysctl.h"

namespace berth::net {

Manager::Impl::Impl(const Options& o) : opts(o), store(o.stateDir) {}
Manager::Impl::~Impl() = default;

Status Manager::Impl::openServices() {
    if (opts.firewall) {
        fw = TRY(Firewall::open());
        if (!opts.socketRedirectCgroup.empty()) {
            auto r = SocketRedirect::open(opts.socketRedirectCgroup);
            if (r) {
                redirect = std::move(*r);
                log::debug(
                    "network: local clients of published TCP ports are redirected at "
                    "connect() (eBPF on cgroup {})",
                    opts.socketRedirectCgroup);
            } else {
                log::warn(
                    "network: no socket redirect for published ports ({}): local clients "
                    "reach them through nftables' DNAT alone",
                    r.error().str());
            }
        }
    } else {
        TRY(enableIpForward(false));
    }
    ports = TRY_CTX(PortAllocator::open(), "host port allocator");
    if (opts.dns) {
        DnsOptions d;
        d.upstreams = parseResolvConfNameservers(sys::readFile(opts.resolvConf).valueOr(""));
        dns = TRY_CTX(DnsServer::start(d), "embedded DNS server");
    }
    return {};
}

Status Manager::Impl::reservePorts(SandboxState& s) {
    SandboxRecord& r = s.rec;
    r.ports.clear();
    if (r.spec.ports.empty()) return {};
    const EndpointRecord* gw = gatewayEndpoint(r);
    if (!gw) {
        log::warn(
            "network: container {}: no network with a gateway, published ports are "
            "discarded",
            r.spec.containerId);
        return {};
    }
    const std::string& owner = r.spec.containerId;
    std::vector<PortRequest> reqs;
    for (const auto& p : r.spec.ports) {
        if (p.containerPort == 0) return invalid("published port without a container port");
        if (p.proto != "tcp" && p.proto != "udp" && p.proto != "sctp")
            return invalid("invalid protocol {:?} for port {}", p.proto, p.containerPort);
        if (p.hostPortEnd && p.hostPortEnd < p.hostPort)
            return invalid("invalid host port range {}-{}", p.hostPort, p.hostPortEnd);
        if (!p.hostIp.empty()) TRY_CTX(IpAddr::parse(p.hostIp), "published port");
        reqs.push_back({p.proto, p.hostIp, p.hostPort, p.hostPortEnd});
    }
    auto got = TRY(ports->reserve(owner, reqs));
    // Dual stack: "all addresses" means IPv6 too (as docker), on the same port number.
    std::vector<PortRequest> v6;
    std::vector<size_t> v6From;
    for (size_t i = 0; i < reqs.size(); i++) {
        const auto& p = r.spec.ports[i];
        r.ports.push_back({p.proto, p.containerPort, p.hostIp, got[i], 0});
        if (!gw->info.ipv6.empty() && p.hostIp.empty()) {
            v6.push_back({p.proto, "::", got[i], 0});
            v6From.push_back(i);
        }
    }
    if (!v6.empty()) {
        auto got6 = ports->reserve(owner + "/v6", v6);
        if (!got6) {
            ports->release(owner);
            r.ports.clear();
            return std::move(got6).error();
        }
        for (size_t j = 0; j < v6.size(); j++)
            r.ports.push_back(
                {v6[j].proto, r.spec.ports[v6From[j]].containerPort, "::", (*got6)[j], 0});
    }
    return {};
}

Status Manager::Impl::rereservePorts(SandboxState& s) {
    const std::string& owner = s.rec.spec.containerId;
    Status first;
    for (const auto& p : s.rec.ports) {
        bool v6only = p.hostIp == "::";
        auto st = ports->restore(v6only ? owner + "/v6" : owner, p.proto, p.hostIp, p.hostPort);
        if (!st && first) first = std::move(st).error();
    }
    return first;
}

void Manager::Impl::releasePorts(const std::string& containerId) {
    ports->release(containerId);
    ports->release(containerId + "/v6");
}

void Manager::shutdown(bool removeRules) {
    impl_->pool->settle();
    std::lock_guard l(impl_->mu);
    if (removeRules && impl_->fw) {
        if (auto st = impl_->fw->removeAll(); !st)
            log::warn("network: remove firewall rules: {}", st.error().str());
        impl_->lastRuleset.clear();
    }
}

}  // namespace berth::net
