// /networks: list, inspect, create, connect, disconnect, delete, prune.
#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "api/context.h"
#include "network/network.h"

namespace berth::api {

using nlohmann::json;

namespace {

bool predefined(const net::NetworkInfo& n) {
    return n.name == "bridge" || n.name == "host" || n.name == "none";
}

json endpointJson(const net::EndpointInfo& e) {
    return {{"Name", e.containerName},
            {"EndpointID", e.endpointId},
            {"MacAddress", e.mac},
            {"IPv4Address", e.ipv4.empty() ? "" : fmt::format("{}/{}", e.ipv4, e.prefixLen)},
            {"IPv6Address", e.ipv6.empty() ? "" : fmt::format("{}/{}", e.ipv6, e.ipv6PrefixLen)}};
}

json networkJson(const net::NetworkInfo& n, bool withContainers) {
    json cfg = json::array();
    for (auto& c : n.ipam) {
        json e{{"Subnet", c.subnet}};
        if (!c.gateway.empty()) e["Gateway"] = c.gateway;
        if (!c.ipRange.empty()) e["IPRange"] = c.ipRange;
        cfg.push_back(e);
    }
    json containers = json::object();
    if (withContainers)
        for (auto& [id, e] : n.containers) containers[id] = endpointJson(e);
    return {{"Name", n.name},
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
            {"ConfigFrom", {{"Network", ""}}},
            {"ConfigOnly", false},
            {"Containers", containers},
            {"Options", n.options},
            {"Labels", n.labels}};
}

bool labelsMatch(const std::map<std::string, std::string>& labels,
                 const std::vector<std::string>& want) {
    for (auto& w : want) {
        auto eq = w.find('=');
        auto it = labels.find(w.substr(0, eq));
        if (it == labels.end()) return false;
        if (eq != std::string::npos && it->second != w.substr(eq + 1)) return false;
    }
    return true;
}

bool networkMatches(const net::NetworkInfo& n, const engine::Filters& f) {
    auto any = [&](const char* key, auto pred) {
        auto it = f.find(key);
        if (it == f.end() || it->second.empty()) return true;
        for (auto& v : it->second)
            if (pred(v)) return true;
        return false;
    };
    if (!any("driver", [&](const std::string& v) { return n.driver == v; })) return false;
    if (!any("id", [&](const std::string& v) { return n.id.starts_with(v); })) return false;
    if (!any("name", [&](const std::string& v) { return engine::filterMatch(v, n.name); }))
        return false;
    if (!any("scope", [&](const std::string& v) { return n.scope == v; })) return false;
    if (!any("type", [&](const std::string& v) {
            return (v == "custom" && !predefined(n)) || (v == "builtin" && predefined(n));
        }))
        return false;
    if (!any("dangling", [&](const std::string& v) {
            bool d = v == "true" || v == "1";
            return d == (n.containers.empty() && !predefined(n));
        }))
        return false;
    if (auto it = f.find("label"); it != f.end() && !labelsMatch(n.labels, it->second))
        return false;
    return true;
}

Status list(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(ex, {"dangling", "driver", "id", "label", "name", "scope", "type"}));
    json out = json::array();
    for (auto& n : c.network.list())
        if (networkMatches(n, f)) out.push_back(networkJson(n, false));
    return ex.sendJson(200, out);
}

Status inspect(Context& c, Exchange& ex) {
    auto n = TRY(c.network.get(ex.req().params[0]));
    return ex.sendJson(200, networkJson(n, true));
}

Status create(Context& c, Exchange& ex) {
    auto b = TRY(ex.bodyJson(false));
    if (!b.is_object()) return invalid("invalid JSON: expected a NetworkCreateRequest object");
    net::NetworkSpec s;
    s.name = b.value("Name", "");
    if (s.name.empty()) return invalid("network name is required");
    s.driver = b.value("Driver", "bridge");
    if (s.driver.empty()) s.driver = "bridge";
    if (s.driver != "bridge")
        return Error{ENOENT, fmt::format("plugin \"{}\" not found", s.driver), true};
    s.internal = b.value("Internal", false);
    s.attachable = b.value("Attachable", false);
    if (b.contains("EnableIPv6") && b["EnableIPv6"].is_boolean()) s.enableIPv6 = b["EnableIPv6"];
    if (b.value("Ingress", false)) return invalid("ingress networks need swarm mode");
    if (b.contains("Options") && b["Options"].is_object())
        s.options = b["Options"].get<std::map<std::string, std::string>>();
    if (b.contains("Labels") && b["Labels"].is_object())
        s.labels = b["Labels"].get<std::map<std::string, std::string>>();
    if (b.contains("IPAM") && b["IPAM"].is_object()) {
        auto& ipam = b["IPAM"];
        auto drv = ipam.value("Driver", "default");
        if (!drv.empty() && drv != "default")
            return invalid("IPAM driver {} is not supported (only default)", drv);
        if (ipam.contains("Config") && ipam["Config"].is_array())
            for (auto& e : ipam["Config"])
                s.ipam.push_back(
                    {e.value("Subnet", ""), e.value("IPRange", ""), e.value("Gateway", "")});
    }
    auto n = TRY(c.network.createNetwork(s));
    publishEvent(c, "network", "create", n.id, {{"name", n.name}, {"type", n.driver}});
    return ex.sendJson(201, json{{"Id", n.id}, {"Warning", ""}});
}

Status connect(Context& c, Exchange& ex) {
    auto b = TRY(ex.bodyJson(false));
    if (!b.is_object()) return invalid("invalid JSON: expected a NetworkConnectRequest object");
    TRY(c.network.get(ex.req().params[0]));
    TRY(c.engine.networkConnect(b.value("Container", ""), ex.req().params[0],
                                b.value("EndpointConfig", json::object())));
    return ex.sendNoContent(200);
}

Status disconnect(Context& c, Exchange& ex) {
    auto b = TRY(ex.bodyJson(false));
    if (!b.is_object()) return invalid("invalid JSON: expected a NetworkDisconnectRequest object");
    TRY(c.network.get(ex.req().params[0]));
    TRY(c.engine.networkDisconnect(b.value("Container", ""), ex.req().params[0],
                                   b.value("Force", false)));
    return ex.sendNoContent(200);
}

Status remove(Context& c, Exchange& ex) {
    auto n = TRY(c.network.get(ex.req().params[0]));
    if (predefined(n))
        return ex.sendError(
            403, fmt::format("{} is a pre-defined network and cannot be removed", n.name));
    TRY(c.network.removeNetwork(n.id));
    publishEvent(c, "network", "destroy", n.id, {{"name", n.name}, {"type", n.driver}});
    return ex.sendNoContent(204);
}

Status prune(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(ex, {"label", "label!", "until"}));
    int64_t untilNs = 0;
    if (auto it = f.find("until"); it != f.end() && !it->second.empty())
        untilNs = TRY(parseTimestamp(it->second[0]));
    std::map<std::string, std::string> ids;
    for (auto& n : c.network.list()) ids[n.name] = n.id;
    auto names = TRY(c.network.prune([&](const net::NetworkInfo& n) {
        if (auto it = f.find("label"); it != f.end() && !labelsMatch(n.labels, it->second))
            return false;
        if (auto it = f.find("label!");
            it != f.end() && !it->second.empty() && labelsMatch(n.labels, it->second))
            return false;
        // Only networks created before `until` (one whose time cannot be read is kept).
        if (untilNs && parseTimestamp(n.created).valueOr(INT64_MAX) >= untilNs) return false;
        return true;
    }));
    for (auto& name : names)
        publishEvent(c, "network", "destroy", ids[name], {{"name", name}, {"type", "bridge"}});
    return ex.sendJson(200, json{{"NetworksDeleted", names}});
}

}  // namespace

void addNetworkRoutes(Router& r) {
    r.add("GET", "/networks", list);
    r.add("POST", "/networks/create", create);
    r.add("POST", "/networks/prune", prune);
    r.add("GET", "/networks/{}", inspect);
    r.add("POST", "/networks/{}/connect", connect);
    r.add("POST", "/networks/{}/disconnect", disconnect);
    r.add("DELETE", "/networks/{}", remove);
}

}  // namespace berth::api
