// The networks the container joins: --network values (a name or the csv form) and the legacy
// per-container flags folded into the first one, as the create body's endpoints.
#include "cli/verbs/container_opts_internal.h"

namespace berth::cli::copts {

using nlohmann::json;

namespace {

bool userDefinedNetwork(std::string_view n) {
    return !(n.empty() || n == "default" || n == "bridge" || n == "host" || n == "none" ||
             n.rfind("container:", 0) == 0);
}

json endpointJson() {
    return {{"IPAMConfig", nullptr},   {"Links", nullptr},         {"Aliases", nullptr},
            {"MacAddress", ""},        {"DriverOpts", nullptr},    {"GwPriority", 0},
            {"NetworkID", ""},         {"EndpointID", ""},         {"Gateway", ""},
            {"IPAddress", ""},         {"IPPrefixLen", 0},         {"IPv6Gateway", ""},
            {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0}, {"DNSNames", nullptr}};
}

Result<json> endpointFor(const NetAttach& n) {
    if (trim(n.target).empty()) return invalid("no name set for network");
    if (!userDefinedNetwork(n.target)) {
        if (!n.aliases.empty())
            return invalid("network-scoped aliases are only supported for user-defined networks");
        if (!n.links.empty()) return invalid("links are only supported for user-defined networks");
    }
    json ep = endpointJson();
    ep["GwPriority"] = n.gwPriority;
    if (!n.aliases.empty()) ep["Aliases"] = n.aliases;
    if (!n.driverOpts.empty()) ep["DriverOpts"] = n.driverOpts;
    if (!n.links.empty()) ep["Links"] = n.links;
    if (!n.ipv4.empty() || !n.ipv6.empty() || !n.linkLocalIps.empty()) {
        json ipam = json::object();
        if (!n.ipv4.empty()) ipam["IPv4Address"] = n.ipv4;
        if (!n.ipv6.empty()) ipam["IPv6Address"] = n.ipv6;
        if (!n.linkLocalIps.empty()) ipam["LinkLocalIPs"] = n.linkLocalIps;
        ep["IPAMConfig"] = ipam;
    }
    if (!n.mac.empty()) {
        if (!isMac(trim(n.mac))) return invalid("{} is not a valid mac address", n.mac);
        ep["MacAddress"] = lower(trim(n.mac));
    }
    return ep;
}

bool endpointIsEmpty(const json& ep) {
    return ep == endpointJson();
}

}  // namespace

Result<NetAttach> parseNetworkOpt(std::string_view value) {
    NetAttach n;
    if (value.find('=') == std::string_view::npos) {
        n.target = std::string(value);
        return n;
    }
    for (auto& field : TRY(csvFields(value))) {
        auto eq = field.find('=');
        if (eq == std::string::npos)
            return invalid("invalid field '{}' must be a key=value pair", field);
        std::string key = lower(trim(field.substr(0, eq))), val = trim(field.substr(eq + 1));
        if (key == "name")
            n.target = val;
        else if (key == "alias")
            n.aliases.push_back(val);
        else if (key == "ip")
            n.ipv4 = val;
        else if (key == "ip6")
            n.ipv6 = val;
        else if (key == "mac-address")
            n.mac = val;
        else if (key == "link-local-ip")
            n.linkLocalIps.push_back(val);
        else if (key == "driver-opt") {
            auto e2 = val.find('=');
            if (e2 == std::string::npos)
                return invalid("invalid key value pair format in driver options");
            n.driverOpts[val.substr(0, e2)] = val.substr(e2 + 1);
        } else if (key == "gw-priority") {
            auto p = parseInt(val);
            if (!p) return invalid("invalid gw-priority: {}", val);
            n.gwPriority = *p;
        } else
            return invalid("invalid field key {}", key);
    }
    return n;
}

Result<Networking> parseNetworking(const Flags& f) {
    std::vector<NetAttach> nets;
    for (auto* name : {"net", "network"})
        for (auto& v : f.l(name)) nets.push_back(*parseNetworkOpt(v));
    std::vector<std::string> aliases = f.l("network-alias");
    for (auto& a : f.l("net-alias")) aliases.push_back(a);
    auto applyLegacy = [&](NetAttach& n) -> Status {
        if (!n.aliases.empty() && !aliases.empty())
            return invalid(
                "conflicting options: cannot specify both --network-alias and "
                "per-network alias");
        if (!n.ipv4.empty() && !f.s("ip").empty())
            return invalid(
                "conflicting options: cannot specify both --ip and per-network IPv4 "
                "address");
        if (!n.ipv6.empty() && !f.s("ip6").empty())
            return invalid(
                "conflicting options: cannot specify both --ip6 and per-network IPv6 "
                "address");
        if (!n.mac.empty() && !f.s("mac-address").empty())
            return invalid(
                "conflicting options: cannot specify both --mac-address and "
                "per-network MAC address");
        if (!aliases.empty()) n.aliases = aliases;
        if (userDefinedNetwork(n.target) && !f.l("link").empty()) n.links = f.l("link");
        bool v6 = false;
        if (!f.s("ip").empty() && isIp(f.s("ip"), &v6) && !v6) n.ipv4 = f.s("ip");
        if (!f.s("ip6").empty() && isIp(f.s("ip6"))) n.ipv6 = f.s("ip6");
        if (!f.s("mac-address").empty()) n.mac = f.s("mac-address");
        if (!f.l("link-local-ip").empty()) n.linkLocalIps = f.l("link-local-ip");
        return {};
    };
    json endpoints = json::object();
    if (nets.empty()) {
        NetAttach n;
        n.target = "default";
        TRY(applyLegacy(n));
        endpoints["default"] = TRY(endpointFor(n));
    }
    bool hasUser = false, hasOther = false;
    for (size_t i = 0; i < nets.size(); i++) {
        auto& n = nets[i];
        (userDefinedNetwork(n.target) ? hasUser : hasOther) = true;
        if (i == 0) TRY(applyLegacy(n));
        json ep = TRY(endpointFor(n));
        if (endpoints.contains(n.target))
            return invalid("network \"{}\" is specified multiple times", n.target);
        if (i == 0 && nets.size() == 1 && endpointIsEmpty(ep)) continue;
        endpoints[n.target] = ep;
    }
    if (hasUser && hasOther)
        return invalid(
            "conflicting options: cannot attach both user-defined and non-user-defined "
            "network-modes");
    return Networking{endpoints, nets.empty() ? "default" : nets[0].target};
}

}  // namespace berth::cli::copts
