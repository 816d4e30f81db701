// One request -> one Manager call.
#include "network/port_spec.h"
#include "requests.h"

namespace berth::netcmd {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key, const std::string& def = "") {
    return j.contains(key) && !j[key].is_null() ? j[key].get<std::string>() : def;
}
bool flag(const json& j, const char* key) { return j.contains(key) && j[key].get<bool>(); }
std::vector<std::string> strs(const json& j, const char* key) {
    return j.contains(key) ? j[key].get<std::vector<std::string>>() : std::vector<std::string>{};
}
std::map<std::string, std::string> dict(const json& j, const char* key) {
    return j.contains(key) ? j[key].get<std::map<std::string, std::string>>()
                           : std::map<std::string, std::string>{};
}

net::EndpointSpec endpointSpec(const json& j) {
    net::EndpointSpec e;
    e.network = str(j, "network");
    e.aliases = strs(j, "aliases");
    e.ipv4 = str(j, "ipv4");
    e.ipv6 = str(j, "ipv6");
    e.mac = str(j, "mac");
    return e;
}

json fail(const Error& e) {
    return {{"ok", false}, {"error", e.str()}, {"errno", errnoName(e.code)}};
}

template <typename T>
json answer(Result<T> r, json (*conv)(const T&)) {
    if (!r) return fail(r.error());
    return {{"ok", true}, {"result", conv(*r)}};
}

json answer(Status st) {
    if (!st) return fail(st.error());
    return {{"ok", true}};
}

Result<net::SandboxSpec> sandboxSpec(const json& j) {
    net::SandboxSpec s;
    s.containerId = str(j, "containerId");
    s.containerName = str(j, "containerName");
    s.hostname = str(j, "hostname");
    s.domainname = str(j, "domainname");
    s.mode = str(j, "mode", "bridge");
    if (j.contains("endpoints"))
        for (const auto& e : j["endpoints"]) s.endpoints.push_back(endpointSpec(e));
    if (j.contains("ports"))
        for (const auto& p : j["ports"]) {
            if (p.is_string()) {
                auto v = TRY(net::parsePortSpec(p.get<std::string>()));
                s.ports.insert(s.ports.end(), v.begin(), v.end());
                continue;
            }
            net::PortBinding b;
            b.proto = str(p, "proto", "tcp");
            b.containerPort = p.value("containerPort", uint16_t{0});
            b.hostIp = str(p, "hostIp");
            b.hostPort = p.value("hostPort", uint16_t{0});
            b.hostPortEnd = p.value("hostPortEnd", uint16_t{0});
            s.ports.push_back(b);
        }
    s.extraHosts = strs(j, "extraHosts");
    s.dns = strs(j, "dns");
    s.dnsSearch = strs(j, "dnsSearch");
    s.dnsOptions = strs(j, "dnsOptions");
    return s;
}

json handleOp(net::Manager& m, const json& req, bool& stop) {
    std::string op = str(req, "op");
    if (op == "ping") return {{"ok", true}};
    if (op == "createNetwork") {
        net::NetworkSpec s;
        s.name = str(req, "name");
        s.driver = str(req, "driver", "bridge");
        s.internal = flag(req, "internal");
        s.enableIPv6 = flag(req, "ipv6");
        s.attachable = flag(req, "attachable");
        s.options = dict(req, "options");
        s.labels = dict(req, "labels");
        if (req.contains("subnet") || req.contains("gateway") || req.contains("ipRange"))
            s.ipam.push_back({str(req, "subnet"), str(req, "ipRange"), str(req, "gateway")});
        if (req.contains("ipam"))
            for (const auto& c : req["ipam"])
                s.ipam.push_back({str(c, "subnet"), str(c, "ipRange"), str(c, "gateway")});
        return answer<net::NetworkInfo>(m.createNetwork(s), toJson);
    }
    if (op == "removeNetwork") return answer(m.removeNetwork(str(req, "network")));
    if (op == "getNetwork") return answer<net::NetworkInfo>(m.get(str(req, "network")), toJson);
    if (op == "listNetworks") {
        json out = json::array();
        for (const auto& n : m.list()) out.push_back(toJson(n));
        return {{"ok", true}, {"result", out}};
    }
    if (op == "prune") {
        auto r = m.prune();
        if (!r) return fail(r.error());
        return {{"ok", true}, {"result", *r}};
    }
    if (op == "createSandbox") {
        auto spec = sandboxSpec(req);
        if (!spec) return fail(spec.error());
        return answer<net::SandboxInfo>(m.createSandbox(*spec), toJson);
    }
    if (op == "sandbox")
        return answer<net::SandboxInfo>(m.sandbox(str(req, "containerId")), toJson);
    if (op == "sandboxes") {
        json out = json::array();
        for (const auto& s : m.sandboxes()) out.push_back(toJson(s));
        return {{"ok", true}, {"result", out}};
    }
    if (op == "connect")
        return answer<net::EndpointInfo>(m.connect(str(req, "containerId"), endpointSpec(req)),
                                         toJson);
    if (op == "disconnect")
        return answer(m.disconnect(str(req, "containerId"), str(req, "network"),
                                   flag(req, "force")));
    if (op == "removeSandbox") return answer(m.removeSandbox(str(req, "containerId")));
    if (op == "recover") {
        auto live = strs(req, "live");
        return answer(m.recover({live.begin(), live.end()}));
    }
    if (op == "settle") {
        m.settle();
        return {{"ok", true}};
    }
    if (op == "timings") {
        auto t = m.timings();
        return {{"ok", true},
                {"result", {{"setupMs", t.lastSetupMs}, {"teardownMs", t.lastTeardownMs}}}};
    }
    if (op == "shutdown") {
        m.shutdown(flag(req, "removeRules"));
        stop = true;
        return {{"ok", true}};
    }
    return fail(invalid("unknown op {:?}", op));
}

}  // namespace

json handle(net::Manager& m, const json& req, bool& stop) {
    try {
        return handleOp(m, req, stop);
    } catch (const json::exception& e) {
        return fail(invalid("bad request: {}", e.what()));
    }
}

}  // namespace berth::netcmd
