// Manager types -> JSON with the Docker Engine API's field names (Network, EndpointSettings,
// PortBinding), so tests read what berthd will serve.
#include "requests.h"

namespace berth::netcmd {

using nlohmann::json;

json toJson(const net::EndpointInfo& e) {
    json j = {
        {"NetworkID", e.networkId},
        {"EndpointID", e.endpointId},
        {"Name", e.containerName},
        {"Gateway", e.gateway},
        {"IPAddress", e.ipv4},
        {"IPPrefixLen", e.prefixLen},
        {"IPv6Gateway", e.ipv6Gateway},
        {"GlobalIPv6Address", e.ipv6},
        {"GlobalIPv6PrefixLen", e.ipv6PrefixLen},
        {"MacAddress", e.mac},
        {"Aliases", e.aliases},
        {"DNSNames", e.dnsNames},
        {"IPv4Address", e.ipv4.empty() ? "" : e.ipv4 + "/" + std::to_string(e.prefixLen)},
        {"IPv6Address", e.ipv6.empty() ? "" : e.ipv6 + "/" + std::to_string(e.ipv6PrefixLen)},
        {"Interface", e.ifname},
        {"NetworkName", e.networkName},
    };
    if (!e.ipamIpv4.empty() || !e.ipamIpv6.empty())
        j["IPAMConfig"] = {{"IPv4Address", e.ipamIpv4}, {"IPv6Address", e.ipamIpv6}};
    else
        j["IPAMConfig"] = nullptr;
    return j;
}

json toJson(const net::NetworkInfo& n) {
    json cfg = json::array();
    for (const auto& c : n.ipam) {
        json x = {{"Subnet", c.subnet}, {"Gateway", c.gateway}};
        if (!c.ipRange.empty()) x["IPRange"] = c.ipRange;
        cfg.push_back(x);
    }
    json containers = json::object();
    for (const auto& [id, e] : n.containers) containers[id] = toJson(e);
    return {
        {"Name", n.name},
        {"Id", n.id},
        {"Created", n.created},
        {"Scope", n.scope},
        {"Driver", n.driver},
        {"EnableIPv4", true},
        {"EnableIPv6", n.enableIPv6},
        {"IPAM", {{"Driver", "default"}, {"Options", json::object()}, {"Config", cfg}}},
        {"Internal", n.internal},
        {"Attachable", n.attachable},
        {"Ingress", false},
        {"ConfigOnly", false},
        {"Containers", containers},
        {"Options", n.options},
        {"Labels", n.labels},
        {"Bridge", n.bridge},  // not in the API; tests want to see it
    };
}

json toJson(const net::SandboxInfo& s) {
    json eps = json::object();
    for (const auto& e : s.endpoints) eps[e.networkName] = toJson(e);
    json ports = json::object();
    for (const auto& p : s.ports) {
        std::string key = std::to_string(p.containerPort) + "/" + p.proto;
        if (!ports.contains(key)) ports[key] = json::array();
        ports[key].push_back({{"HostIp", p.hostIp}, {"HostPort", std::to_string(p.hostPort)}});
    }
    return {
        {"ContainerID", s.containerId},
        {"NetworkMode", s.mode},
        {"SandboxKey", s.netnsPath},
        {"Networks", eps},
        {"Ports", ports},
        {"HostsPath", s.hostsPath},
        {"ResolvConfPath", s.resolvConfPath},
        {"HostnamePath", s.hostnamePath},
        {"SetupMs", s.setupMs},
    };
}

}  // namespace berth::netcmd
