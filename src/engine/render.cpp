// Containers as the API shows them: inspect (ContainerInspectResponse) and list
// (ContainerSummary with docker's filters and "Up 5 seconds" status text).
#include <regex>

#include "engine/internal.h"
#include "image/service.h"
#include "network/network.h"
#include "network/port_spec.h"

namespace berth::engine {

namespace {

std::string plural(int64_t n, const char* unit) {
    return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s");
}

// Go's units.HumanDuration.
std::string humanDuration(int64_t ns) {
    int64_t s = ns / 1000000000;
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) return fmt::format("{} seconds", s);
    int64_t m = s / 60;
    if (m == 1) return "About a minute";
    if (m < 60) return fmt::format("{} minutes", m);
    int64_t h = m / 60;
    if (h == 1) return "About an hour";
    if (h < 48) return fmt::format("{} hours", h);
    if (h < 24 * 7 * 2) return fmt::format("{} days", h / 24);
    if (h < 24 * 30 * 3) return fmt::format("{} weeks", h / 24 / 7);
    if (h < 24 * 365 * 2) return fmt::format("{} months", h / 24 / 30);
    return plural(h / 24 / 365, "year");
}

int64_t ts(const std::string& t) {
    return parseTimeNs(t).valueOr(0);
}

std::string statusText(const Container& c) {
    const auto& s = c.state;
    int64_t now = nowNs();
    std::string health;
    if (s.health.is_object()) {
        std::string hs = s.health.value("Status", "");
        if (hs == "starting")
            health = " (health: starting)";
        else if (!hs.empty() && hs != "none")
            health = " (" + hs + ")";
    }
    if (s.status == "running") return "Up " + humanDuration(now - ts(s.startedAt)) + health;
    if (s.status == "paused") return "Up " + humanDuration(now - ts(s.startedAt)) + " (Paused)";
    if (s.status == "restarting")
        return fmt::format("Restarting ({}) {} ago", s.exitCode,
                           humanDuration(now - ts(s.finishedAt)));
    if (s.status == "removing") return "Removal In Progress";
    if (s.status == "dead") return "Dead";
    if (s.status == "created" || ts(s.finishedAt) == 0) return "Created";
    return fmt::format("Exited ({}) {} ago", s.exitCode, humanDuration(now - ts(s.finishedAt)));
}

Json stateJson(const Container& c) {
    const auto& s = c.state;
    Json j = {{"Status", s.status},
              {"Running", s.status == "running" || s.status == "paused"},
              {"Paused", s.status == "paused"},
              {"Restarting", s.status == "restarting"},
              {"OOMKilled", s.oomKilled},
              {"Dead", s.status == "dead"},
              {"Pid", s.pid},
              {"ExitCode", s.exitCode},
              {"Error", s.error},
              {"StartedAt", s.startedAt},
              {"FinishedAt", s.finishedAt}};
    if (s.health.is_object()) j["Health"] = s.health;
    return j;
}

// moby's ContainerSummary.Command: an argument with a space goes in single quotes, as is.
std::string quoteArg(const std::string& a) {
    return a.find(' ') == std::string::npos ? a : "'" + a + "'";
}

}  // namespace

// The networks of a container that has not run yet, as docker shows them: one entry per
// network of its NetworkMode and EndpointsConfig, holding the configured aliases and IPAM
// settings and the network's ID, without addresses. docker-compose decides from these which
// networks to connect.
Json configuredNetworks(const Container& c, const Engine::Impl& impl) {
    Json nets = Json::object();
    auto add = [&](const std::string& name, const Json& cfg) {
        std::string id;
        if (impl.network)
            if (auto info = impl.network->get(name)) id = info->id;
        nets[name] = Json{{"IPAMConfig", cfg.value("IPAMConfig", Json())},
                          {"Links", cfg.value("Links", Json())},
                          {"Aliases", cfg.value("Aliases", Json())},
                          {"MacAddress", cfg.value("MacAddress", "")},
                          {"DriverOpts", cfg.value("DriverOpts", Json())},
                          {"GwPriority", 0},
                          {"NetworkID", id},
                          {"EndpointID", ""},
                          {"Gateway", ""},
                          {"IPAddress", ""},
                          {"IPPrefixLen", 0},
                          {"IPv6Gateway", ""},
                          {"GlobalIPv6Address", ""},
                          {"GlobalIPv6PrefixLen", 0},
                          {"DNSNames", Json()}};
    };
    std::string mode = c.hostConfig.value("NetworkMode", "default");
    if (mode.empty() || mode == "default") mode = "bridge";
    const Json eps = c.networkingConfig.value("EndpointsConfig", Json::object());
    if (mode != "host" && mode != "none" && mode.rfind("container:", 0) != 0 && !eps.contains(mode))
        add(mode, Json::object());
    if (eps.is_object())
        for (auto& [name, cfg] : eps.items()) add(name, cfg.is_object() ? cfg : Json::object());
    return nets;
}

Json inspectJson(const Container& c, const Engine::Impl& impl) {
    std::string dir = impl.containerDir(c.id);
    Json hc = c.hostConfig;
    for (const char* k : {"Binds", "Links", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts",
                          "CapAdd", "CapDrop", "GroupAdd", "SecurityOpt", "Devices", "Ulimits"})
        if (!hc.contains(k)) hc[k] = Json();
    for (const char* k : {"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares",
                          "CpuPeriod", "CpuQuota", "BlkioWeight", "ShmSize"})
        if (!hc.contains(k)) hc[k] = 0;
    if (!hc.contains("PortBindings")) hc["PortBindings"] = Json::object();
    if (!hc.contains("ShmSize") || hc["ShmSize"] == 0) hc["ShmSize"] = 67108864;
    for (const char* k : {"AutoRemove", "Privileged", "ReadonlyRootfs", "PublishAllPorts", "Init"})
        if (!hc.contains(k)) hc[k] = false;
    hc.erase("Init");
    if (c.hostConfig.contains("Init")) hc["Init"] = c.hostConfig["Init"];
    Json mounts = Json::array();
    for (auto m : c.mounts) {
        m.erase("Copy");
        m.erase("TmpfsSize");
        m.erase("TmpfsMode");
        mounts.push_back(m);
    }
    Json ns = c.networkSettings.is_object() && !c.networkSettings.empty()
                  ? c.networkSettings
                  : Json{{"Bridge", ""},
                         {"SandboxID", ""},
                         {"SandboxKey", ""},
                         {"Ports", Json::object()},
                         {"Networks", Json::object()},
                         {"IPAddress", ""},
                         {"Gateway", ""},
                         {"MacAddress", ""},
                         {"IPPrefixLen", 0}};
    if (!c.running() && (!ns["Networks"].is_object() || ns["Networks"].empty()))
        ns["Networks"] = configuredNetworks(c, impl);
    if (!c.running()) {
        // Released on exit, as docker does: no addresses or ports while stopped.
        ns["Ports"] = Json::object();
        for (auto& [n, ep] : ns["Networks"].items()) {
            ep["IPAddress"] = "";
            ep["Gateway"] = "";
            ep["EndpointID"] = "";
            ep["IPPrefixLen"] = 0;
            ep["MacAddress"] = "";
        }
        ns["IPAddress"] = "";
        ns["Gateway"] = "";
        ns["SandboxKey"] = "";
    }
    Json execIds = Json();
    {
        for (const auto& [id, x] : impl.execs)
            if (x->containerId == c.id) {
                if (execIds.is_null()) execIds = Json::array();
                execIds.push_back(id);
            }
    }
    return Json{{"Id", c.id},
                {"Created", c.created},
                {"Path", c.path},
                {"Args", c.args},
                {"State", stateJson(c)},
                {"Image", c.imageId},
                {"ResolvConfPath", c.resolvConfPath},
                {"HostnamePath", c.hostnamePath},
                {"HostsPath", c.hostsPath},
                {"LogPath", dir + "/container.log"},
                {"Name", "/" + c.name},
                {"RestartCount", c.restartCount},
                {"Driver", "overlay2"},
                {"Platform", "linux"},
                {"MountLabel", ""},
                {"ProcessLabel", ""},
                {"AppArmorProfile", ""},
                {"ExecIDs", execIds},
                {"HostConfig", hc},
                {"GraphDriver",
                 {{"Name", "overlay2"},
                  {"Data",
                   {{"MergedDir", dir + "/rootfs"},
                    {"UpperDir", dir + "/upper"},
                    {"WorkDir", dir + "/work"}}}}},
                {"Mounts", mounts},
                {"Config", c.config},
                {"NetworkSettings", ns}};
}

Json summaryJson(const Container& c, const Engine::Impl& impl) {
    (void)impl;
    std::string cmd = c.path;
    for (const auto& a : c.args) cmd += " " + quoteArg(a);
    Json ports = Json::array();
    if (c.running() && c.networkSettings.is_object()) {
        const Json p = c.networkSettings.value("Ports", Json::object());
        for (auto& [key, binds] : p.items()) {
            auto slash = key.find('/');
            int priv = std::atoi(key.substr(0, slash).c_str());
            std::string type = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
            if (!binds.is_array()) {
                ports.push_back({{"PrivatePort", priv}, {"Type", type}});
                continue;
            }
            for (const auto& b : binds)
                ports.push_back({{"IP", b.value("HostIp", "")},
                                 {"PrivatePort", priv},
                                 {"PublicPort", std::atoi(b.value("HostPort", "0").c_str())},
                                 {"Type", type}});
        }
    } else if (c.config.contains("ExposedPorts") && c.config["ExposedPorts"].is_object()) {
        for (auto& [key, v] : c.config["ExposedPorts"].items()) {
            auto slash = key.find('/');
            ports.push_back({{"PrivatePort", std::atoi(key.substr(0, slash).c_str())},
                             {"Type", slash == std::string::npos ? "tcp" : key.substr(slash + 1)}});
        }
    }
    Json nets = Json::object();
    if (c.networkSettings.is_object() && c.networkSettings.contains("Networks"))
        nets = c.networkSettings["Networks"];
    if (!c.running() && (!nets.is_object() || nets.empty())) nets = configuredNetworks(c, impl);
    Json mounts = Json::array();
    for (auto m : c.mounts) {
        m.erase("Copy");
        m.erase("TmpfsSize");
        m.erase("TmpfsMode");
        mounts.push_back(m);
    }
    return Json{{"Id", c.id},
                {"Names", {"/" + c.name}},
                {"Image", c.image},
                {"ImageID", c.imageId},
                {"Command", cmd},
                {"Created", ts(c.created) / 1000000000},
                {"Ports", ports},
                {"Labels", c.config.value("Labels", Json::object())},
                {"State", c.state.status},
                {"Status", statusText(c)},
                {"HostConfig", {{"NetworkMode", c.hostConfig.value("NetworkMode", "bridge")}}},
                {"NetworkSettings", {{"Networks", nets}}},
                {"Mounts", mounts}};
}

namespace {

bool labelMatch(const Json& labels, const std::string& f) {
    auto eq = f.find('=');
    std::string k = f.substr(0, eq);
    if (!labels.is_object() || !labels.contains(k)) return false;
    return eq == std::string::npos || labels[k] == f.substr(eq + 1);
}

}  // namespace

Result<nlohmann::json> Engine::inspect(const std::string& idOrName, bool size) const {
    auto e = TRY(impl_->find(idOrName));
    Json j;
    std::string id, imageId;
    {
        std::lock_guard lk(e->mu);
        std::lock_guard g(impl_->mu);
        j = inspectJson(e->c, *impl_);
        id = e->c.id;
        imageId = e->c.imageId;
    }
    // Only when asked, as docker (a walk of the writable layer); then present even when 0.
    if (size) {
        auto sz = layerSizes(id, imageId);
        j["SizeRw"] = sz.rw;
        j["SizeRootFs"] = sz.rootFs;
    }
    return j;
}

bool filterMatch(const std::string& pattern, const std::string& s) {
    if (pattern == s) return true;
    try {
        return std::regex_search(s, std::regex(pattern));
    } catch (const std::regex_error&) {
        return false;
    }
}

namespace {

// A publish/expose filter value: "80", "80/udp", "8000-8080/tcp".
struct PortFilter {
    int first = 0, last = 0;
    std::string proto = "tcp";
    bool matches(const std::string& portProto) const {  // "80/tcp"
        auto slash = portProto.find('/');
        std::string p = slash == std::string::npos ? "tcp" : portProto.substr(slash + 1);
        int n = std::atoi(portProto.substr(0, slash).c_str());
        return p == proto && n >= first && n <= last;
    }
};

Result<PortFilter> portFilter(const std::string& key, const std::string& v) {
    PortFilter pf;
    std::string ports = v;
    if (auto slash = v.find('/'); slash != std::string::npos) {
        pf.proto = v.substr(slash + 1);
        ports = v.substr(0, slash);
    }
    auto r = net::parsePortRange(ports, v);
    if (!r) return invalid("invalid filter '{}={}': {}", key, v, r.error().msg);
    pf.first = r->first;
    pf.last = r->last;
    return pf;
}

}  // namespace

Result<nlohmann::json> Engine::list(bool all, int limit, bool size, const Filters& f) const {
    static const std::set<std::string> kKeys = {
        "id",      "name",   "label",  "status",  "exited",  "ancestor", "before", "since",
        "network", "health", "volume", "is-task", "publish", "expose",   "label!"};
    for (const auto& [k, v] : f)
        if (!kKeys.count(k)) return invalid("invalid filter '{}'", k);
    static const std::set<std::string> kStates = {"created", "restarting", "running", "removing",
                                                  "paused",  "exited",     "dead"};
    if (f.count("status"))
        for (const auto& s : f.at("status"))
            if (!kStates.count(s)) return invalid("invalid filter 'status={}'", s);

    std::vector<std::shared_ptr<Entry>> entries;
    {
        std::lock_guard lk(impl_->mu);
        for (const auto& [id, e] : impl_->byId) entries.push_back(e);
    }
    std::vector<Container> cs;
    for (auto& e : entries) {
        std::lock_guard lk(e->mu);
        if (!e->removed) cs.push_back(e->c);
    }
    std::sort(cs.begin(), cs.end(),
              [](const Container& a, const Container& b) { return ts(a.created) > ts(b.created); });
    int64_t beforeNs = 0, sinceNs = 0;
    auto createdOf = [&](const std::string& ref) -> Result<int64_t> {
        auto e = TRY(impl_->find(ref));
        return ts(e->c.created);
    };
    if (f.count("before") && !f.at("before").empty()) beforeNs = TRY(createdOf(f.at("before")[0]));
    if (f.count("since") && !f.at("since").empty()) sinceNs = TRY(createdOf(f.at("since")[0]));
    bool statusFilter = f.count("status") || f.count("exited");
    std::map<std::string, std::vector<PortFilter>> portFilters;
    for (const char* key : {"publish", "expose"})
        if (f.count(key))
            for (const auto& v : f.at(key)) portFilters[key].push_back(TRY(portFilter(key, v)));
    // publish: a host port the container's ports are bound to; expose: a container port.
    auto portMatch = [&](const char* key, const Container& c) {
        auto it = portFilters.find(key);
        if (it == portFilters.end()) return true;
        std::vector<std::string> ports;
        if (std::string_view(key) == "expose") {
            const Json exposed = c.config.value("ExposedPorts", Json::object());
            const Json bound = c.hostConfig.value("PortBindings", Json::object());
            for (const Json* m : {&exposed, &bound})
                for (auto& [p, _] : m->items()) ports.push_back(p);
        } else {
            const Json published = c.networkSettings.value("Ports", Json::object());
            for (auto& [p, bindings] : published.items()) {
                if (!bindings.is_array()) continue;
                std::string proto = p.substr(p.find('/') + 1);
                for (const auto& b : bindings)
                    ports.push_back(b.value("HostPort", "") + "/" + proto);
            }
        }
        for (const auto& pf : it->second)
            for (const auto& p : ports)
                if (pf.matches(p)) return true;
        return false;
    };

    auto anyOf = [&](const char* key, const std::function<bool(const std::string&)>& pred) {
        auto it = f.find(key);
        if (it == f.end() || it->second.empty()) return true;
        for (const auto& v : it->second)
            if (pred(v)) return true;
        return false;
    };
    // Labels are the exception, as in docker: every label filter must match.
    auto allLabels = [&](const Json& labels) {
        auto it = f.find("label");
        if (it == f.end()) return true;
        for (const auto& v : it->second)
            if (!labelMatch(labels, v)) return false;
        return true;
    };
    Json out = Json::array();
    for (const auto& c : cs) {
        if (!all && !statusFilter && !c.running() && c.state.status != "restarting" && limit <= 0 &&
            beforeNs == 0 && sinceNs == 0)
            continue;
        bool ok =
            anyOf("id", [&](const std::string& v) { return c.id.rfind(v, 0) == 0; }) &&
            anyOf("name",
                  [&](const std::string& v) {
                      // As moby: the name with and without its leading slash.
                      return filterMatch(v, "/" + c.name) || filterMatch(v, c.name);
                  }) &&
            allLabels(c.config.value("Labels", Json::object())) &&
            anyOf("status", [&](const std::string& v) { return c.state.status == v; }) &&
            anyOf("exited",
                  [&](const std::string& v) {
                      return c.state.status == "exited" && std::to_string(c.state.exitCode) == v;
                  }) &&
            anyOf("ancestor",
                  [&](const std::string& v) {
                      if (c.image == v || c.imageId == v) return true;
                      auto img = impl_->images->get(v);
                      return img && img->id.str() == c.imageId;
                  }) &&
            anyOf("network",
                  [&](const std::string& v) {
                      const Json n = c.networkSettings.value("Networks", Json::object());
                      if (n.contains(v)) return true;
                      for (auto& [name, ep] : n.items())
                          if (ep.value("NetworkID", "").rfind(v, 0) == 0) return true;
                      return c.hostConfig.value("NetworkMode", "") == v;
                  }) &&
            anyOf("health",
                  [&](const std::string& v) {
                      std::string hs = c.state.health.is_object()
                                           ? c.state.health.value("Status", "none")
                                           : "none";
                      return hs == v;
                  }) &&
            anyOf("volume", [&](const std::string& v) {
                for (const auto& m : c.mounts)
                    if (m.value("Name", "") == v || m.value("Source", "") == v ||
                        m.value("Destination", "") == v)
                        return true;
                return false;
            });
        if (!ok || !portMatch("publish", c) || !portMatch("expose", c)) continue;
        if (beforeNs && ts(c.created) >= beforeNs) continue;
        if (sinceNs && ts(c.created) <= sinceNs) continue;
        Json s;
        {
            std::lock_guard g(impl_->mu);
            s = summaryJson(c, *impl_);
        }
        // docker's ContainerSummary leaves zero sizes out (omitempty) even when asked.
        if (size) {
            auto sz = layerSizes(c.id, c.imageId);
            if (sz.rw) s["SizeRw"] = sz.rw;
            if (sz.rootFs) s["SizeRootFs"] = sz.rootFs;
        }
        out.push_back(s);
        if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    }
    return out;
}

}  // namespace berth::engine
