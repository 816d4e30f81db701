// A container's HostConfig/NetworkingConfig -> the network layer's SandboxSpec, and the
// sandbox it got -> NetworkSettings as docker reports them.
#include "engine/network_glue.h"

#include "network/network.h"

namespace berth::engine {

namespace {

Result<std::pair<uint16_t, std::string>> parsePortKey(const std::string& key) {
    auto slash = key.find('/');
    std::string port = key.substr(0, slash);
    std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
        return invalid("invalid proto: {}", proto);
    try {
        int p = std::stoi(port);
        if (p <= 0 || p > 65535) throw std::out_of_range(port);
        return std::make_pair(static_cast<uint16_t>(p), proto);
    } catch (const std::exception&) {
        return invalid("invalid containerPort: {}", port);
    }
}

}  // namespace

Result<std::vector<net::PortBinding>> portBindings(const Json& hc, const Json& exposed) {
    std::vector<net::PortBinding> out;
    std::set<std::string> bound;
    const Json pb = hc.value("PortBindings", Json::object());
    if (pb.is_object()) {
        for (auto& [key, list] : pb.items()) {
            auto [cport, proto] = TRY(parsePortKey(key));
            bound.insert(key);
            if (!list.is_array() || list.empty()) {
                net::PortBinding b;
                b.proto = proto;
                b.containerPort = cport;
                out.push_back(b);
                continue;
            }
            for (const auto& e : list) {
                net::PortBinding b;
                b.proto = proto;
                b.containerPort = cport;
                b.hostIp = e.value("HostIp", "");
                std::string hp = e.value("HostPort", "");
                if (!hp.empty()) {
                    auto dash = hp.find('-');
                    try {
                        int a = std::stoi(hp.substr(0, dash));
                        int z = dash == std::string::npos ? a : std::stoi(hp.substr(dash + 1));
                        if (a < 0 || a > 65535 || z < a || z > 65535) throw std::out_of_range(hp);
                        b.hostPort = static_cast<uint16_t>(a);
                        if (z > a) b.hostPortEnd = static_cast<uint16_t>(z);
                    } catch (const std::exception&) {
                        return invalid("invalid hostPort: {}", hp);
                    }
                }
                out.push_back(b);
            }
        }
    }
    if (hc.value("PublishAllPorts", false) && exposed.is_object()) {
        for (auto& [key, v] : exposed.items()) {
            if (bound.count(key)) continue;
            auto [cport, proto] = TRY(parsePortKey(key));
            net::PortBinding b;
            b.proto = proto;
            b.containerPort = cport;
            out.push_back(b);
        }
    }
    return out;
}

Result<net::SandboxSpec> sandboxSpec(const Container& c) {
    const Json& hc = c.hostConfig;
    net::SandboxSpec s;
    s.containerId = c.id;
    s.containerName = c.name;
    s.hostname = c.config.value("Hostname", "");
    s.domainname = c.config.value("Domainname", "");
    std::string mode = hc.value("NetworkMode", "bridge");
    if (mode == "default") mode = "bridge";
    s.mode = mode;
    const Json eps = c.networkingConfig.value("EndpointsConfig", Json::object());
    if (eps.is_object()) {
        for (auto& [key, cfg] : eps.items()) {
            // The docker CLI names the default network "default" in EndpointsConfig.
            std::string net = key == "default" ? "bridge" : key;
            if ((mode == "host" || mode == "none") && net == "bridge") continue;
            net::EndpointSpec ep;
            ep.network = net;
            ep.aliases = stringList(cfg.value("Aliases", Json()));
            const Json ipam = cfg.value("IPAMConfig", Json());
            if (ipam.is_object()) {
                ep.ipv4 = ipam.value("IPv4Address", "");
                ep.ipv6 = ipam.value("IPv6Address", "");
            }
            ep.mac = cfg.value("MacAddress", "");
            if (net == mode) {
                // The primary network's settings go first.
                s.endpoints.insert(s.endpoints.begin(), ep);
            } else {
                s.endpoints.push_back(ep);
            }
        }
    }
    if (mode != "host" && mode != "none" && mode.rfind("container:", 0) != 0)
        s.ports = TRY(portBindings(hc, c.config.value("ExposedPorts", Json::object())));
    s.extraHosts = stringList(hc.value("ExtraHosts", Json()));
    s.dns = stringList(hc.value("Dns", Json()));
    s.dnsSearch = stringList(hc.value("DnsSearch", Json()));
    s.dnsOptions = stringList(hc.value("DnsOptions", Json()));
    return s;
}

Status checkNetworkTargets(const Engine::Impl& impl, const Container& c) {
    std::string mode = c.hostConfig.value("NetworkMode", "bridge");
    if (mode.rfind("container:", 0) == 0) {
        TRY(impl.find(mode.substr(10)));
        return okStatus();
    }
    if (mode != "default" && mode != "bridge" && mode != "host" && mode != "none")
        TRY(impl.network->get(mode));
    const Json eps = c.networkingConfig.value("EndpointsConfig", Json::object());
    if (eps.is_object())
        for (auto& [key, cfg] : eps.items())
            if (key != "default" && key != mode) TRY(impl.network->get(key));
    return okStatus();
}

Json endpointJson(const net::EndpointInfo& e) {
    Json ipam = Json();
    if (!e.ipamIpv4.empty() || !e.ipamIpv6.empty())
        ipam = {{"IPv4Address", e.ipamIpv4}, {"IPv6Address", e.ipamIpv6}};
    return Json{{"IPAMConfig", ipam},
                {"Links", Json()},
                {"Aliases", e.aliases.empty() ? Json() : Json(e.aliases)},
                {"MacAddress", e.mac},
                {"DriverOpts", Json()},
                {"GwPriority", 0},
                {"NetworkID", e.networkId},
                {"EndpointID", e.endpointId},
                {"Gateway", e.gateway},
                {"IPAddress", e.ipv4},
                {"IPPrefixLen", e.prefixLen},
                {"IPv6Gateway", e.ipv6Gateway},
                {"GlobalIPv6Address", e.ipv6},
                {"GlobalIPv6PrefixLen", e.ipv6PrefixLen},
                {"DNSNames", e.dnsNames.empty() ? Json() : Json(e.dnsNames)}};
}

Json networkSettingsJson(const net::SandboxInfo& sb, const Json& exposed) {
    Json ports = Json::object();
    if (exposed.is_object())
        for (auto& [k, v] : exposed.items()) ports[k] = Json();
    for (const auto& p : sb.ports) {
        std::string key = std::to_string(p.containerPort) + "/" + p.proto;
        if (!ports[key].is_array()) ports[key] = Json::array();
        ports[key].push_back({{"HostIp", p.hostIp.empty() ? "0.0.0.0" : p.hostIp},
                              {"HostPort", std::to_string(p.hostPort)}});
    }
    Json nets = Json::object();
    for (const auto& e : sb.endpoints) nets[e.networkName] = endpointJson(e);
    Json ns = {{"Bridge", ""},
               {"SandboxID", sb.containerId},
               {"SandboxKey", sb.netnsPath},
               {"HairpinMode", false},
               {"LinkLocalIPv6Address", ""},
               {"LinkLocalIPv6PrefixLen", 0},
               {"Ports", ports},
               {"Networks", nets},
               {"SecondaryIPAddresses", Json()},
               {"SecondaryIPv6Addresses", Json()},
               {"EndpointID", ""},
               {"Gateway", ""},
               {"GlobalIPv6Address", ""},
               {"GlobalIPv6PrefixLen", 0},
               {"IPAddress", ""},
               {"IPPrefixLen", 0},
               {"IPv6Gateway", ""},
               {"MacAddress", ""}};
    // The legacy top-level fields describe the default bridge endpoint.
    for (const auto& e : sb.endpoints) {
        if (e.networkName != "bridge") continue;
        ns["EndpointID"] = e.endpointId;
        ns["Gateway"] = e.gateway;
        ns["IPAddress"] = e.ipv4;
        ns["IPPrefixLen"] = e.prefixLen;
        ns["MacAddress"] = e.mac;
        ns["GlobalIPv6Address"] = e.ipv6;
        ns["GlobalIPv6PrefixLen"] = e.ipv6PrefixLen;
        ns["IPv6Gateway"] = e.ipv6Gateway;
    }
    return ns;
}

}  // namespace berth::engine

namespace berth::engine {

namespace {
// In NetworkingConfig: NetworkMode is "none" because its network was disconnected, not by
// choice (never shown: inspect renders EndpointsConfig only).
constexpr const char* kModeDisconnected = "BerthModeDisconnected";
}  // namespace

Status Engine::networkConnect(const std::string& idOrName, const std::string& network,
                              const nlohmann::json& endpointConfig) {
    auto e = TRY(impl_->find(idOrName));
    auto info = TRY(impl_->network->get(network));
    std::unique_lock lk(e->mu);
    Container& c = e->c;
    std::string mode = c.hostConfig.value("NetworkMode", "bridge");
    // A created container disconnected from its network (docker-compose 1.29 disconnects and
    // reconnects each one before the start) takes the network it is connected to next.
    if (!c.running() && mode == "none" && c.networkingConfig.value(kModeDisconnected, false)) {
        c.hostConfig["NetworkMode"] = info.name;
        c.networkingConfig.erase(kModeDisconnected);
        mode = info.name;
    }
    if (mode == "host" || mode == "none" || mode.rfind("container:", 0) == 0)
        return invalid(
            "container cannot be disconnected from host network or connected to host "
            "network");
    Json& eps = c.networkingConfig["EndpointsConfig"];
    if (!eps.is_object()) eps = Json::object();
    Json cfg = endpointConfig.is_object() ? endpointConfig : Json::object();
    if (c.running()) {
        const Json nets = c.networkSettings.value("Networks", Json::object());
        if (nets.contains(info.name))
            return makeError(EEXIST, "endpoint with name {} already exists in network {}", c.name,
                             info.name);
        net::EndpointSpec spec;
        spec.network = info.id;
        if (cfg.contains("Aliases") && cfg["Aliases"].is_array())
            for (const auto& a : cfg["Aliases"])
                if (a.is_string()) spec.aliases.push_back(a.get<std::string>());
        const Json ipam = cfg.value("IPAMConfig", Json());
        if (ipam.is_object()) {
            spec.ipv4 = ipam.value("IPv4Address", "");
            spec.ipv6 = ipam.value("IPv6Address", "");
        }
        spec.mac = cfg.value("MacAddress", "");
        auto ep = TRY(impl_->network->connect(c.id, spec));
        c.networkSettings["Networks"][info.name] = endpointJson(ep);
    } else if (eps.contains(info.name)) {
        return makeError(EEXIST, "endpoint with name {} already exists in network {}", c.name,
                         info.name);
    }
    eps[info.name] = cfg;
    TRY(impl_->save(c));
    Event ev;
    ev.type = "network";
    ev.action = "connect";
    ev.id = info.id;
    ev.attributes = {{"container", c.id}, {"name", info.name}, {"type", info.driver}};
    impl_->events.publish(ev);
    return okStatus();
}

Status Engine::networkDisconnect(const std::string& idOrName, const std::string& network,
                                 bool force) {
    auto e = TRY(impl_->find(idOrName));
    auto info = TRY(impl_->network->get(network));
    std::unique_lock lk(e->mu);
    Container& c = e->c;
    Json& eps = c.networkingConfig["EndpointsConfig"];
    if (!eps.is_object()) eps = Json::object();
    bool attached = false;
    if (c.running()) {
        Json& nets = c.networkSettings["Networks"];
        if (nets.is_object() && nets.contains(info.name)) {
            TRY(impl_->network->disconnect(c.id, info.id, force));
            nets.erase(info.name);
            attached = true;
        }
    }
    std::string mode = c.hostConfig.value("NetworkMode", "bridge");
    if (eps.contains(info.name)) {
        eps.erase(info.name);
        attached = true;
    }
    if (mode == info.name && !c.running()) {
        attached = true;
        c.hostConfig["NetworkMode"] = "none";
        c.networkingConfig[kModeDisconnected] = true;
    }
    // Force or not, as moby: a container that is not on the network is an error.
    if (!attached)
        return makeError(ENOENT, "container {} is not connected to network {}", c.id, info.name);
    TRY(impl_->save(c));
    Event ev;
    ev.type = "network";
    ev.action = "disconnect";
    ev.id = info.id;
    ev.attributes = {{"container", c.id}, {"name", info.name}, {"type", info.driver}};
    impl_->events.publish(ev);
    return okStatus();
}

}  // namespace berth::engine
