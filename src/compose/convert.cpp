// Service -> Docker Engine API bodies, field by field as docker compose v2 builds them
// (pkg/compose/create.go), for the normalized model of normalize.h. The HostConfig part is in
// convert_host.cpp, the readers of the model's values in convert_values.cpp.
#include "compose/convert.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "compose/convert_internal.h"
#include "compose/hash.h"
#include "compose/labels.h"
#include "compose/project.h"
#include "compose/values.h"

namespace berth::compose {

using nlohmann::json;

using namespace detail;

namespace {

Result<json> healthcheck(const json& h) {
    if (flag(h, "disable")) return json{{"Test", {"NONE"}}};
    json out = json::object();
    if (has(h, "test")) {
        if (h["test"].is_string())
            out["Test"] = {"CMD-SHELL", h["test"]};
        else
            out["Test"] = h["test"];
    }
    static const std::pair<const char*, const char*> kDurations[] = {
        {"interval", "Interval"},
        {"timeout", "Timeout"},
        {"start_period", "StartPeriod"},
        {"start_interval", "StartInterval"}};
    for (auto [k, api] : kDurations)
        if (has(h, k)) out[api] = TRY(durationNs(h[k], std::string("healthcheck ") + k));
    if (has(h, "retries")) out["Retries"] = TRY(integer(h["retries"], "healthcheck retries"));
    return out;
}

std::vector<std::string> environment(const Project& p, const json& s, const CreateOptions& o) {
    std::map<std::string, std::string> env;
    if (has(s, "environment") && s["environment"].is_object())
        for (auto& [k, v] : s["environment"].items())
            if (!v.is_null()) env[k] = scalar(v);
    for (const auto& e : o.extraEnv) {
        auto eq = e.find('=');
        if (eq != std::string::npos) {
            env[e.substr(0, eq)] = e.substr(eq + 1);
        } else if (auto it = p.env.find(e); it != p.env.end()) {
            env[e] = it->second;
        } else {
            env.erase(e);
        }
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

Result<std::vector<std::string>> commandLine(const json& s, const char* key) {
    const json& v = s.at(key);
    if (v.is_string()) return TRY_CTX(shellSplit(v.get<std::string>()), "{}", key);
    std::vector<std::string> out;
    for (const auto& a : v) out.push_back(scalar(a));
    return out;
}

json labelsFor(const Project& p, const std::string& svc, const json& s, int number,
               const CreateOptions& o) {
    json l = stringMap(s.value("labels", emptyObject()));
    l[label::kProject] = projectName(p);
    l[label::kService] = svc;
    l[label::kContainerNumber] = std::to_string(number);
    l[label::kConfigHash] = configHash(s);
    l[label::kOneoff] = o.oneoff ? "True" : "False";
    if (o.oneoff && !o.slug.empty()) l[label::kSlug] = o.slug;
    l[label::kWorkingDir] = p.workingDir;
    std::string files;
    for (const auto& f : p.configFiles) files += (files.empty() ? "" : ",") + f;
    l[label::kConfigFiles] = files;
    l[label::kVersion] = kComposeVersion;
    std::string deps;
    if (has(s, "depends_on") && s["depends_on"].is_object())
        for (auto& [d, cfg] : s["depends_on"].items()) {
            std::string cond = cfg.is_object() ? str(cfg, "condition") : "";
            if (cond.empty()) cond = "service_started";
            bool restart = cfg.is_object() && flag(cfg, "restart");
            deps += (deps.empty() ? "" : ",") + d + ":" + cond + ":" + (restart ? "true" : "false");
        }
    l[label::kDependsOn] = deps;
    if (!o.imageId.empty()) l[label::kImage] = o.imageId;
    if (!o.replaces.empty()) l[label::kReplace] = o.replaces;
    for (const auto& [k, v] : o.extraLabels) l[k] = v;
    return l;
}

}  // namespace

// ---- public ------------------------------------------------------------------------------------

std::string containerName(const Project& p, const std::string& svc, int number) {
    std::string explicitName = str(serviceOf(p, svc), "container_name");
    if (!explicitName.empty()) return explicitName;
    return projectName(p) + "-" + svc + "-" + std::to_string(number);
}

std::string newSlug() {
    unsigned char b[32];
    if (RAND_bytes(b, sizeof b) != 1)
        for (auto& c : b) c = static_cast<unsigned char>(std::rand());  // never in practice
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    return out;
}

std::string oneoffContainerName(const Project& p, const std::string& svc, const std::string& slug) {
    return projectName(p) + "-" + svc + "-run-" + slug.substr(0, 12);
}

std::string serviceImage(const Project& p, const std::string& svc) {
    std::string image = str(serviceOf(p, svc), "image");
    return image.empty() ? projectName(p) + "-" + svc : image;
}

std::vector<std::string> serviceNetworkKeys(const Project& p, const std::string& svc) {
    const json& s = serviceOf(p, svc);
    std::vector<std::pair<int64_t, std::string>> keys;
    if (!str(s, "network_mode").empty()) return {};
    auto it = s.find("networks");
    if (it == s.end() || !it->is_object()) return {};
    for (auto& [k, cfg] : it->items()) {
        int64_t prio = 0;
        if (cfg.is_object() && cfg.contains("priority") && cfg["priority"].is_number_integer())
            prio = cfg["priority"].get<int64_t>();
        keys.emplace_back(-prio, k);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<std::string> out;
    for (auto& [prio, k] : keys) out.push_back(k);
    return out;
}

json endpointConfig(const Project& p, const std::string& svc, const std::string& networkKey,
                    bool oneoff) {
    const json& s = serviceOf(p, svc);
    const json& cfg = section(s, "networks", networkKey);
    json e = json::object();
    if (!oneoff) {
        std::vector<std::string> aliases = {svc};
        for (const auto& a : strings(cfg, "aliases"))
            if (std::find(aliases.begin(), aliases.end(), a) == aliases.end()) aliases.push_back(a);
        e["Aliases"] = aliases;
    }
    json ipam = json::object();
    if (has(cfg, "ipv4_address")) ipam["IPv4Address"] = str(cfg, "ipv4_address");
    if (has(cfg, "ipv6_address")) ipam["IPv6Address"] = str(cfg, "ipv6_address");
    if (has(cfg, "link_local_ips")) ipam["LinkLocalIPs"] = strings(cfg, "link_local_ips");
    if (!ipam.empty()) e["IPAMConfig"] = ipam;
    if (has(cfg, "mac_address")) e["MacAddress"] = str(cfg, "mac_address");
    json opts = stringMap(cfg.value("driver_opts", emptyObject()));
    if (has(cfg, "interface_name"))
        opts["com.docker.network.endpoint.ifname"] = str(cfg, "interface_name");
    if (!opts.empty()) e["DriverOpts"] = opts;
    if (has(cfg, "gw_priority") && cfg["gw_priority"].is_number_integer())
        e["GwPriority"] = cfg["gw_priority"];
    return e;
}

namespace {

Result<json> createBody(const Project& p, const std::string& svc, int number,
                        const CreateOptions& o) {
    const json& s = serviceOf(p, svc);
    json body = json::object();
    body["Image"] = serviceImage(p, svc);
    if (o.commandOverride)
        body["Cmd"] = *o.commandOverride;
    else if (has(s, "command"))
        body["Cmd"] = TRY(commandLine(s, "command"));
    if (o.entrypointOverride)
        body["Entrypoint"] = *o.entrypointOverride;
    else if (has(s, "entrypoint"))
        body["Entrypoint"] = TRY(commandLine(s, "entrypoint"));
    body["Env"] = environment(p, s, o);
    body["Labels"] = labelsFor(p, svc, s, number, o);
    for (auto [k, api] : {std::pair{"hostname", "Hostname"}, std::pair{"domainname", "Domainname"},
                          std::pair{"user", "User"}, std::pair{"working_dir", "WorkingDir"},
                          std::pair{"stop_signal", "StopSignal"}})
        if (has(s, k)) body[api] = scalar(s[k]);
    if (o.user) body["User"] = *o.user;
    if (o.workingDir) body["WorkingDir"] = *o.workingDir;

    json exposed = json::object(), unused = json::object();
    if (o.publishPorts)
        for (const auto& port : s.value("ports", json::array()))
            if (port.is_object()) TRY(addPort(port, exposed, unused));
    for (const auto& e : strings(s, "expose")) TRY(addExpose(e, exposed));
    if (!exposed.empty()) body["ExposedPorts"] = exposed;

    bool tty = o.tty.value_or(flag(s, "tty"));
    bool stdinOpen = o.interactive.value_or(flag(s, "stdin_open"));
    body["Tty"] = tty;
    body["OpenStdin"] = stdinOpen;
    body["AttachStdin"] = o.attachStdin;
    body["AttachStdout"] = true;
    body["AttachStderr"] = true;
    body["StdinOnce"] = o.attachStdin && stdinOpen;
    if (has(s, "stop_grace_period"))
        body["StopTimeout"] =
            TRY(durationNs(s["stop_grace_period"], "stop_grace_period")) / 1000000000;
    if (has(s, "healthcheck") && s["healthcheck"].is_object())
        body["Healthcheck"] = TRY(healthcheck(s["healthcheck"]));

    // Network: network_mode, else the primary network (by name) plus its endpoint settings.
    std::string mode = str(s, "network_mode"), primary;
    if (mode.rfind("service:", 0) == 0) {
        mode = "container:" + containerName(p, mode.substr(8), 1);
    } else if (mode == "disabled") {
        mode = "none";
        body["NetworkDisabled"] = true;
    } else if (mode.empty()) {
        primary = o.primaryNetwork;
        if (primary.empty()) {
            auto keys = serviceNetworkKeys(p, svc);
            if (!keys.empty()) primary = keys.front();
        }
        if (!primary.empty()) mode = networkName(p, primary);
    }
    body["HostConfig"] = TRY(hostConfig(p, s, o, mode));
    if (!primary.empty()) {
        json ep = endpointConfig(p, svc, primary, o.oneoff && !o.useAliases);
        if (!ep.contains("MacAddress") && has(s, "mac_address"))
            ep["MacAddress"] = str(s, "mac_address");
        body["NetworkingConfig"] = {{"EndpointsConfig", {{mode, ep}}}};
    }
    return body;
}

}  // namespace

Result<json> containerCreateBody(const Project& p, const std::string& svc, int number,
                                 const CreateOptions& o) {
    if (!p.model.is_object() || !p.model.contains("services") || !p.model["services"].contains(svc))
        return invalid("no such service: {}", svc);
    return TRY_CTX(createBody(p, svc, number, o), "service \"{}\"", svc);
}

std::string networkName(const Project& p, const std::string& key) {
    std::string name = str(section(p.model, "networks", key), "name");
    return name.empty() ? projectName(p) + "_" + key : name;
}

std::string volumeName(const Project& p, const std::string& key) {
    std::string name = str(section(p.model, "volumes", key), "name");
    return name.empty() ? projectName(p) + "_" + key : name;
}

json networkCreateBody(const Project& p, const std::string& key) {
    const json& n = section(p.model, "networks", key);
    json b = {{"Name", networkName(p, key)}};
    std::string driver = str(n, "driver");
    b["Driver"] = driver.empty() ? "bridge" : driver;
    b["Internal"] = flag(n, "internal");
    b["Attachable"] = flag(n, "attachable");
    if (has(n, "enable_ipv6")) b["EnableIPv6"] = flag(n, "enable_ipv6");
    if (has(n, "enable_ipv4")) b["EnableIPv4"] = flag(n, "enable_ipv4");
    b["Options"] = stringMap(n.value("driver_opts", emptyObject()));
    if (has(n, "ipam")) {
        const json& ipam = n["ipam"];
        std::string drv = str(ipam, "driver");
        json cfgs = json::array();
        for (const auto& c : ipam.value("config", json::array())) {
            json e = json::object();
            for (auto [k, api] : {std::pair{"subnet", "Subnet"}, std::pair{"gateway", "Gateway"},
                                  std::pair{"ip_range", "IPRange"}})
                if (has(c, k)) e[api] = str(c, k);
            if (has(c, "aux_addresses")) e["AuxiliaryAddresses"] = stringMap(c["aux_addresses"]);
            cfgs.push_back(e);
        }
        b["IPAM"] = {{"Driver", drv.empty() ? "default" : drv},
                     {"Config", cfgs},
                     {"Options", stringMap(ipam.value("options", emptyObject()))}};
    }
    json labels = stringMap(n.value("labels", emptyObject()));
    labels[label::kNetwork] = key;
    labels[label::kProject] = projectName(p);
    labels[label::kVersion] = kComposeVersion;
    b["Labels"] = labels;
    return b;
}

json volumeCreateBody(const Project& p, const std::string& key) {
    const json& v = section(p.model, "volumes", key);
    std::string driver = str(v, "driver");
    json labels = stringMap(v.value("labels", emptyObject()));
    labels[label::kVolume] = key;
    labels[label::kProject] = projectName(p);
    labels[label::kVersion] = kComposeVersion;
    return {{"Name", volumeName(p, key)},
            {"Driver", driver.empty() ? "local" : driver},
            {"DriverOpts", stringMap(v.value("driver_opts", emptyObject()))},
            {"Labels", labels}};
}

Result<std::vector<InjectedFile>> injectedFiles(const Project& p, const std::string& svc) {
    const json& s = serviceOf(p, svc);
    std::vector<InjectedFile> out;
    for (bool secret : {true, false}) {
        const char* kind = secret ? "secrets" : "configs";
        const char* what = secret ? "secret" : "config";
        for (const auto& ref : s.value(kind, json::array())) {
            if (!ref.is_object()) continue;
            std::string source = str(ref, "source");
            const json& top = section(p.model, kind, source);
            InjectedFile f;
            if (has(top, "environment")) {
                std::string var = str(top, "environment");
                if (auto it = p.env.find(var); it != p.env.end()) {
                    f.content = it->second;
                } else if (const char* e = std::getenv(var.c_str())) {
                    f.content = e;
                } else {
                    return invalid("environment variable \"{}\" required by {} \"{}\" is not set",
                                   var, what, source);
                }
            } else if (has(top, "content")) {
                f.content = str(top, "content");
            } else {
                continue;
            }
            f.path = secretTarget(ref, secret);
            if (has(ref, "mode"))
                f.mode =
                    static_cast<uint32_t>(TRY(integer(ref["mode"], std::string(what) + " mode")));
            if (has(ref, "uid")) f.uid = TRY(integer(ref["uid"], std::string(what) + " uid"));
            if (has(ref, "gid")) f.gid = TRY(integer(ref["gid"], std::string(what) + " gid"));
            out.push_back(std::move(f));
        }
    }
    return out;
}

std::vector<std::string> unsupportedServiceKeys(const json& s) {
    static const char* kIgnored[] = {"pid",
                                     "ipc",
                                     "uts",
                                     "userns_mode",
                                     "runtime",
                                     "isolation",
                                     "links",
                                     "external_links",
                                     "volumes_from",
                                     "annotations",
                                     "storage_opt",
                                     "mem_swappiness",
                                     "device_cgroup_rules",
                                     "gpus",
                                     "credential_spec",
                                     "cpu_rt_runtime",
                                     "cpu_rt_period",
                                     "cpu_count",
                                     "cpu_percent"};
    std::set<std::string> out;
    if (!s.is_object()) return {};
    for (const char* k : kIgnored)
        if (has(s, k)) out.insert(k);
    const json& blkio = s.value("blkio_config", emptyObject());
    for (auto& [k, v] : blkio.items())
        if (k != "weight") out.insert("blkio_config." + k);
    const json& resv = s.value("deploy", emptyObject())
                           .value("resources", emptyObject())
                           .value("reservations", emptyObject());
    if (has(resv, "devices")) out.insert("deploy.resources.reservations.devices");
    if (has(s, "entrypoint") && s["entrypoint"].is_array() && s["entrypoint"].empty())
        out.insert("entrypoint (an empty entrypoint keeps the image's)");
    for (const auto& v : s.value("volumes", json::array())) {
        if (!v.is_object()) continue;
        if (v.contains("volume") && has(v["volume"], "subpath"))
            out.insert("volumes[].volume.subpath");
        std::string t = str(v, "type");
        if (t != "bind" && t != "volume" && t != "tmpfs") out.insert("volumes[].type: " + t);
        if (t == "bind" && v.contains("bind") && has(v["bind"], "recursive"))
            out.insert("volumes[].bind.recursive");
    }
    return std::vector<std::string>(out.begin(), out.end());
}

}  // namespace berth::compose
