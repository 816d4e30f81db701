// Endpoints: an address (and MAC, names) from a network's IPAM, and in the kernel a veth pair
// from the network's bridge into the sandbox's netns.
#include <algorithm>
#include <cctype>

#include "common/log.h"
#include "common/scope_guard.h"
#include "network/manager_impl.h"
#include "network/netns.h"

namespace berth::net {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

Status Manager::renameContainer(const std::string& containerId, const std::string& newName) {
    std::lock_guard l(impl_->mu);
    auto it = impl_->sbs.find(containerId);
    if (it == impl_->sbs.end()) return {};
    SandboxRecord r = it->second.rec;
    std::string oldName = lower(r.spec.containerName), name = lower(newName);
    r.spec.containerName = newName;
    for (auto& ep : r.endpoints) {
        ep.info.containerName = newName;
        auto& names = ep.info.dnsNames;
        if (names.empty()) continue;  // a network without DNS
        std::erase(names, oldName);
        if (std::find(names.begin(), names.end(), name) == names.end())
            names.insert(names.begin(), name);
    }
    TRY_CTX(impl_->store.saveSandbox(r), "rename {} in its network sandbox", containerId);
    it->second.rec = std::move(r);
    impl_->syncNames();
    return {};
}

std::string Manager::Impl::nextIfname(const SandboxRecord& r) const {
    for (int i = 0;; i++) {
        std::string name = "eth" + std::to_string(i);
        bool taken = std::any_of(r.endpoints.begin(), r.endpoints.end(),
                                 [&](const EndpointRecord& e) { return e.info.ifname == name; });
        if (!taken) return name;
    }
}

Result<EndpointRecord> Manager::Impl::allocateEndpoint(NetState& n, const EndpointSpec& spec,
                                                       const SandboxRecord& sb,
                                                       const std::string& ifname) {
    if (!n.bridged())
        return invalid("container cannot be connected to network {} (driver {})", n.info.name,
                       n.info.driver);
    if (n.isDefault && (!spec.ipv4.empty() || !spec.ipv6.empty()))
        return invalid("user specified IP address is supported on user defined networks only");
    if (n.isDefault && !spec.aliases.empty())
        return invalid(
            "network-scoped alias is supported only for containers in user defined "
            "networks");
    EndpointRecord ep;
    EndpointInfo& e = ep.info;
    e.networkId = n.info.id;
    e.networkName = n.info.name;
    e.endpointId = randomHex(64);
    e.containerName = sb.spec.containerName;
    e.ifname = ifname;
    e.ipamIpv4 = spec.ipv4;
    e.ipamIpv6 = spec.ipv6;
    e.aliases = spec.aliases;
    ep.hostIf = "bth" + randomHex(10);

    IpAddr v4;
    if (!spec.ipv4.empty()) {
        v4 = TRY(IpAddr::parse(spec.ipv4));
        if (!v4.isV4()) return invalid("invalid IPv4 address {:?}", spec.ipv4);
        auto st = n.v4->reserve(v4);
        if (!st && st.error().code == EADDRINUSE && reclaim(n.info.id, v4.str()))
            st = n.v4->reserve(v4);
        TRY_CTX(std::move(st), "network {}", n.info.name);
    } else {
        auto a = n.v4->allocate();
        if (!a && a.error().code == ENOSPC && reclaim(n.info.id, "")) a = n.v4->allocate();
        v4 = TRY_CTX(std::move(a), "network {}", n.info.name);
    }
    ScopeGuard release4([&] { n.v4->release(v4); });
    e.ipv4 = v4.str();
    e.prefixLen = n.v4->subnet().len;
    e.gateway = n.v4->gateway().str();
    if (n.v6) {
        IpAddr v6;
        if (!spec.ipv6.empty()) {
            v6 = TRY(IpAddr::parse(spec.ipv6));
            if (v6.isV4()) return invalid("invalid IPv6 address {:?}", spec.ipv6);
            auto st = n.v6->reserve(v6);
            if (!st && st.error().code == EADDRINUSE && reclaim(n.info.id, v6.str()))
                st = n.v6->reserve(v6);
            TRY_CTX(std::move(st), "network {}", n.info.name);
        } else {
            v6 = TRY_CTX(n.v6->allocate(), "network {}", n.info.name);
        }
        e.ipv6 = v6.str();
        e.ipv6PrefixLen = n.v6->subnet().len;
        e.ipv6Gateway = n.v6->gateway().str();
    } else if (!spec.ipv6.empty()) {
        return invalid("network {} has no IPv6 subnet for {}", n.info.name, spec.ipv6);
    }
    ScopeGuard release6([&] {
        if (!e.ipv6.empty()) n.v6->release(IpAddr::parse(e.ipv6).value());
    });
    if (!spec.mac.empty()) {
        auto mac = TRY(parseMac(spec.mac));
        e.mac = macStr(mac);
    } else {
        e.mac = macStr(macFromIpv4(v4));
    }
    if (n.hasDns()) {
        std::vector<std::string> names;
        if (!sb.spec.containerName.empty()) names.push_back(sb.spec.containerName);
        names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
        names.push_back(sb.spec.containerId.substr(0, 12));
        for (auto& x : names) {
            x = lower(x);
            if (std::find(e.dnsNames.begin(), e.dnsNames.end(), x) == e.dnsNames.end())
                e.dnsNames.push_back(x);
        }
    }
    release4.cancel();
    release6.cancel();
    return ep;
}

void Manager::Impl::releaseEndpoint(const EndpointRecord& ep) {
    auto it = nets.find(ep.info.networkId);
    if (it == nets.end()) return;
    if (auto a = IpAddr::parse(ep.info.ipv4); a && it->second.v4) it->second.v4->release(*a);
    if (auto a = IpAddr::parse(ep.info.ipv6); a && it->second.v6) it->second.v6->release(*a);
}

Status Manager::Impl::attachEndpoint(Netlink& inside, int nsFd, const EndpointRecord& ep,
                                     NetState& n) {
    const EndpointInfo& e = ep.info;
    auto host = nl.link(ep.hostIf);
    if (!host && host.error().code == ENODEV) {
        // A veth pair dies together: a missing host end means a missing pair.
        VethSpec v;
        v.hostName = ep.hostIf;
        v.peerName = e.ifname;
        v.peerNsFd = nsFd;
        v.master = n.bridgeIndex;
        v.mtu = n.mtu;
        v.peerMac = TRY(parseMac(e.mac));
        TRY(nl.createVeth(v));
        host = nl.link(ep.hostIf);
    } else if (host && host->master != n.bridgeIndex) {
        // Restoring after the bridge was recreated: the port lost its master.
        TRY(nl.setMaster(host->index, n.bridgeIndex));
        TRY(nl.setUp(host->index));
    }
    if (!host) return std::move(host).error();
    auto hostIdx = host->index;
    TRY(nl.setBridgePort(hostIdx, true, !n.icc));
    int idx = TRY(inside.linkIndex(e.ifname));
    TRY(inside.setUp(idx));
    auto v4 = TRY(IpAddr::parse(e.ipv4));
    TRY(inside.addAddress(idx, Prefix{v4, e.prefixLen}));
    if (!e.ipv6.empty()) {
        auto v6 = TRY(IpAddr::parse(e.ipv6));
        TRY(inside.addAddress(idx, Prefix{v6, e.ipv6PrefixLen}));
    }
    return {};
}

void Manager::Impl::detachEndpoint(const EndpointRecord& ep) {
    auto st = nl.deleteLink(ep.hostIf);
    if (!st && st.error().code != ENODEV)
        log::warn("network: remove endpoint {} of {}: {}", ep.hostIf, ep.info.containerName,
                  st.error().str());
}

void Manager::Impl::teardown(std::vector<EndpointRecord> eps, std::string netnsPath) {
    if (eps.empty() && netnsPath.empty()) return;
    for (const auto& ep : eps) releasing[ep.hostIf] = ep;
    pool->post([this, eps = std::move(eps), netnsPath = std::move(netnsPath)] {
        if (!reaperNl.valid()) {
            auto nl = Netlink::open();
            if (nl)
                reaperNl = std::move(*nl);
            else
                log::warn("network: cleanup: {}", nl.error().str());
        }
        for (const auto& ep : eps) {
            if (!reaperNl.valid()) break;
            auto st = reaperNl.deleteLink(ep.hostIf);
            if (!st && st.error().code != ENODEV)
                log::warn("network: remove endpoint {}: {}", ep.hostIf, st.error().str());
        }
        if (!netnsPath.empty())
            if (auto st = removeNetns(netnsPath); !st) log::warn("network: {}", st.error().str());
        // Only now may the addresses go to someone else: until the veth is gone the old netns
        // would still answer ARP for them.
        std::lock_guard l(mu);
        for (const auto& ep : eps)
            if (releasing.erase(ep.hostIf)) releaseEndpoint(ep);
    });
}

bool Manager::Impl::reclaim(const std::string& netId, const std::string& ip) {
    std::vector<EndpointRecord> found;
    for (const auto& [hostIf, ep] : releasing)
        if (ep.info.networkId == netId && (ip.empty() || ep.info.ipv4 == ip || ep.info.ipv6 == ip))
            found.push_back(ep);
    for (const auto& ep : found) {
        detachEndpoint(ep);  // synchronous: the caller needs the address now
        releasing.erase(ep.hostIf);
        releaseEndpoint(ep);
    }
    return !found.empty();
}

const EndpointRecord* Manager::Impl::gatewayEndpoint(const SandboxRecord& r) const {
    for (const auto& ep : r.endpoints) {
        auto it = nets.find(ep.info.networkId);
        if (it != nets.end() && !it->second.info.internal) return &ep;
    }
    return nullptr;
}

Status Manager::Impl::applyGateway(Netlink& inside, const SandboxRecord& r) {
    const EndpointRecord* gw = gatewayEndpoint(r);
    if (!gw) return {};
    int idx = TRY(inside.linkIndex(gw->info.ifname));
    TRY(inside.replaceDefaultRoute(idx, TRY(IpAddr::parse(gw->info.gateway))));
    if (!gw->info.ipv6Gateway.empty())
        TRY(inside.replaceDefaultRoute(idx, TRY(IpAddr::parse(gw->info.ipv6Gateway))));
    return {};
}

}  // namespace berth::net
