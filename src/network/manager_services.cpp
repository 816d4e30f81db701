// The manager's view handed to the firewall (networks + published ports) and to the embedded DNS
// (names per user-defined network).
#include <algorithm>
#include <cctype>

#include "common/log.h"
#include "network/dns.h"
#include "network/firewall.h"
#include "network/manager_impl.h"
#include "network/sock_redirect.h"
#include "network/sysctl.h"

namespace berth::net {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

Status Manager::Impl::syncFirewall() {
    if (!fw) return {};
    FirewallState st;
    for (const auto& [id, n] : nets) {
        if (!n.bridged()) continue;
        FwNetwork f;
        f.bridge = n.info.bridge;
        if (n.v4) f.subnets4.push_back(n.v4->subnet().str());
        if (n.v6) f.subnets6.push_back(n.v6->subnet().str());
        f.internal = n.info.internal;
        f.masquerade = n.masquerade;
        st.networks.push_back(std::move(f));
    }
    for (const auto& [id, s] : sbs) {
        if (s.rec.kind != "bridge" || s.rec.ports.empty()) continue;
        const EndpointRecord* gw = gatewayEndpoint(s.rec);
        if (!gw) continue;
        const NetState& n = nets.at(gw->info.networkId);
        for (const auto& p : s.rec.ports) {
            FwPort f;
            f.proto = p.proto;
            f.hostIp = p.hostIp;
            f.hostPort = p.hostPort;
            f.containerPort = p.containerPort;
            f.bridge = n.info.bridge;
            f.containerIp = p.hostIp.find(':') == std::string::npos ? gw->info.ipv4 : gw->info.ipv6;
            if (!f.containerIp.empty()) st.ports.push_back(std::move(f));
        }
    }
    auto text = TRY_CTX(renderRuleset(st), "firewall rules");
    if (text == lastRuleset) return {};
    lastRuleset.clear();  // unknown until apply() succeeds
    TRY(fw->apply(st));
    lastRuleset = std::move(text);
    if (redirect) {
        // After the rules: the redirect only ever mirrors ports nftables publishes too. Synced
        // when the rules change (ports, networks and so the bridges' addresses): a sandbox
        // without published ports costs nothing here.
        std::vector<RedirectPort> tcp4;
        for (const auto& p : st.ports)
            if (p.proto == "tcp" && p.hostIp.find(':') == std::string::npos)
                tcp4.push_back({p.hostIp, p.hostPort, p.containerIp, p.containerPort});
        if (auto s = redirect->sync(tcp4); !s)
            log::warn("network: socket redirect: {}; local clients use nftables' DNAT",
                      s.error().str());
    }
    return {};
}

void NameDirectory::replace(std::map<std::string, Network> byId,
                            std::map<std::string, std::vector<std::string>> netsOf) {
    std::lock_guard l(mu_);
    byId_ = std::move(byId);
    netsOf_ = std::move(netsOf);
}

NameDirectory::Answer NameDirectory::lookup(const std::string& containerId,
                                            const std::string& name) const {
    std::lock_guard l(mu_);
    Answer a;
    auto nets = netsOf_.find(containerId);
    if (nets == netsOf_.end()) return a;
    auto add = [](std::vector<std::string>& v, const std::string& ip) {
        if (!ip.empty() && std::find(v.begin(), v.end(), ip) == v.end()) v.push_back(ip);
    };
    auto search = [&](const Network& n, const std::string& q) {
        for (const auto& e : n.entries) {
            if (std::find(e.names.begin(), e.names.end(), q) == e.names.end()) continue;
            a.found = true;
            add(a.ipv4, e.ipv4);
            add(a.ipv6, e.ipv6);
        }
    };
    for (const auto& netId : nets->second)
        if (auto it = byId_.find(netId); it != byId_.end()) search(it->second, name);
    if (a.found) return a;
    // "web.mynet": the name on that network only.
    for (const auto& netId : nets->second) {
        auto it = byId_.find(netId);
        if (it == byId_.end()) continue;
        const std::string& suffix = it->second.name;
        if (name.size() > suffix.size() + 1 &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            name[name.size() - suffix.size() - 1] == '.')
            search(it->second, name.substr(0, name.size() - suffix.size() - 1));
    }
    return a;
}

std::string NameDirectory::reverse(const std::string& containerId, const std::string& ip) const {
    std::lock_guard l(mu_);
    auto nets = netsOf_.find(containerId);
    if (nets == netsOf_.end()) return "";
    for (const auto& netId : nets->second) {
        auto it = byId_.find(netId);
        if (it == byId_.end()) continue;
        for (const auto& e : it->second.entries)
            if ((e.ipv4 == ip || e.ipv6 == ip) && !e.names.empty())
                return e.names[0] + "." + it->second.name;
    }
    return "";
}

void Manager::Impl::syncNames() {
    if (!dns) return;
    std::map<std::string, NameDirectory::Network> byId;
    std::map<std::string, std::vector<std::string>> netsOf;
    for (const auto& [id, s] : sbs) {
        if (s.rec.kind != "bridge") continue;
        for (const auto& ep : s.rec.endpoints) {
            auto it = nets.find(ep.info.networkId);
            if (it == nets.end() || !it->second.hasDns()) continue;
            auto& n = byId[ep.info.networkId];
            n.name = lower(it->second.info.name);
            n.entries.push_back({ep.info.dnsNames, ep.info.ipv4, ep.info.ipv6});
            netsOf[id].push_back(ep.info.networkId);
        }
    }
    names->replace(std::move(byId), std::move(netsOf));
}

Status Manager::Impl::addToDns(SandboxState& s) {
    const SandboxRecord& r = s.rec;
    if (!dns || s.inDns || r.kind != "bridge") return {};
    bool wanted = std::any_of(r.endpoints.begin(), r.endpoints.end(), [&](const auto& ep) {
        auto it = nets.find(ep.info.networkId);
        return it != nets.end() && it->second.hasDns();
    });
    if (!wanted) return {};
    DnsSandbox sb;
    std::string id = r.spec.containerId;
    std::shared_ptr<const NameDirectory> dir = names;
    sb.resolve = [dir, id](const std::string& q) {
        auto a = dir->lookup(id, q);
        return DnsAnswer{a.found, std::move(a.ipv4), std::move(a.ipv6)};
    };
    sb.reverse = [dir, id](const std::string& ip) { return dir->reverse(id, ip); };
    sb.upstreams = r.spec.dns;
    TRY_CTX(dns->addSandbox(id, r.netnsPath, std::move(sb)), "embedded DNS");
    s.inDns = true;
    return {};
}

void Manager::Impl::removeFromDns(SandboxState& s) {
    if (!dns || !s.inDns) return;
    dns->removeSandbox(s.rec.spec.containerId);
    s.inDns = false;
}

}  // namespace berth::net
