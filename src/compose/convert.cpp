// Service -> Docker Engine API bodies, field by field as docker compose v2 builds them
// (pkg/compose/create.go), for the normalized model of normalize.h.
#include "compose/convert.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "compose/hash.h"
#include "compose/labels.h"
#include "compose/project.h"
#include "compose/values.h"

namespace berth::compose {

using nlohmann::json;

namespace {

const json& emptyObject() {
    static const json kEmpty = json::object();
    return kEmpty;
}

// model[a][b], or {} when either is missing.
const json& section(const json& model, const char* a, const std::string& b) {
    if (!model.is_object()) return emptyObject();
    auto ia = model.find(a);
    if (ia == model.end() || !ia->is_object()) return emptyObject();
    auto ib = ia->find(b);
    return ib != ia->end() && ib->is_object() ? *ib : emptyObject();
}

const json& serviceOf(const Project& p, const std::string& svc) {
    return section(p.model, "services", svc);
}

std::string projectName(const Project& p) {
    if (!p.name.empty()) return p.name;
    return p.model.is_object() ? p.model.value("name", "") : "";
}

std::string str(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool flag(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_boolean() && it->get<bool>();
}

bool has(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && !it->is_null();
}

// A scalar as the engine's map[string]string wants it.
std::string scalar(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    return v.dump();
}

json stringMap(const json& obj) {
    json out = json::object();
    if (obj.is_object())
        for (auto& [k, v] : obj.items()) out[k] = scalar(v);
    return out;
}

std::vector<std::string> strings(const json& obj, const char* key) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it == obj.end()) return out;
    if (it->is_string()) out.push_back(it->get<std::string>());
    if (it->is_array())
        for (const auto& e : *it)
            if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

Result<int64_t> bytes(const json& v, std::string_view what) {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number()) return static_cast<int64_t>(v.get<double>());
    if (v.is_string()) return TRY_CTX(parseBytes(v.get<std::string>()), "{}", what);
    return invalid("{}: invalid size {}", what, v.dump());
}

Result<int64_t> durationNs(const json& v, std::string_view what) {
    if (v.is_string()) return TRY_CTX(parseDurationNs(v.get<std::string>()), "{}", what);
    return invalid("{}: invalid duration {}", what, v.dump());
}

Result<int64_t> nanoCpus(const json& v, std::string_view what) {
    double d = 0;
    if (v.is_number()) {
        d = v.get<double>();
    } else if (v.is_string()) {
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        d = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return invalid("{}: invalid number of CPUs \"{}\"", what, s);
    } else {
        return invalid("{}: invalid number of CPUs {}", what, v.dump());
    }
    if (d < 0) return invalid("{}: the number of CPUs cannot be negative", what);
    return static_cast<int64_t>(std::llround(d * 1e9));
}

Result<int64_t> integer(const json& v, std::string_view what) {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        long long n = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && *end == '\0') return static_cast<int64_t>(n);
    }
    return invalid("{}: not an integer: {}", what, v.dump());
}

// ---- names -------------------------------------------------------------------------------------

// "service:x[:mode]" / "x[:mode]" -> "<container of x>[:mode]"; "container:c[:mode]" -> "c[:mode]".
std::string volumesFromRef(const Project& p, const std::string& ref) {
    if (ref.rfind("container:", 0) == 0) return ref.substr(10);
    std::string s = ref.rfind("service:", 0) == 0 ? ref.substr(8) : ref;
    std::string mode;
    if (auto c = s.rfind(':'); c != std::string::npos) {
        std::string m = s.substr(c + 1);
        if (m == "ro" || m == "rw") {
            mode = ":" + m;
            s = s.substr(0, c);
        }
    }
    return containerName(p, s, 1) + mode;
}

// ---- ports -------------------------------------------------------------------------------------

struct Range {
    int lo = 0, hi = 0;
};

Result<Range> portRange(const std::string& s, std::string_view what) {
    Range r;
    auto dash = s.find('-');
    char* end = nullptr;
    std::string a = s.substr(0, dash);
    r.lo = static_cast<int>(std::strtol(a.c_str(), &end, 10));
    if (a.empty() || *end != '\0') return invalid("invalid {} port: {}", what, s);
    r.hi = r.lo;
    if (dash != std::string::npos) {
        std::string b = s.substr(dash + 1);
        r.hi = static_cast<int>(std::strtol(b.c_str(), &end, 10));
        if (b.empty() || *end != '\0') return invalid("invalid {} port: {}", what, s);
    }
    if (r.lo < 0 || r.hi > 65535 || r.hi < r.lo) return invalid("invalid {} port: {}", what, s);
    return r;
}

// One `ports` entry -> (container port key, binding) pairs, docker's nat.ParsePortSpec way: a
// container range is matched one to one with a host range of the same size; a single container
// port keeps a host range as is (the engine picks a free port in it).
Status addPort(const json& port, json& exposed, json& bindings) {
    std::string proto = str(port, "protocol");
    if (proto.empty()) proto = "tcp";
    std::string target = port.contains("target") ? scalar(port["target"]) : "";
    std::string published = port.contains("published") ? scalar(port["published"]) : "";
    std::string hostIp = str(port, "host_ip");
    Range t = TRY(portRange(target, "container"));
    if (t.lo == 0) return invalid("invalid container port: {}", target);
    Range h;
    if (!published.empty()) h = TRY(portRange(published, "published"));
    int n = t.hi - t.lo + 1;
    bool pairwise = n > 1 && !published.empty();
    if (pairwise && h.hi - h.lo + 1 != n)
        return invalid("invalid ranges specified for container and host ports: {} and {}", target,
                       published);
    for (int i = 0; i < n; i++) {
        std::string key = std::to_string(t.lo + i) + "/" + proto;
        std::string hp = pairwise ? std::to_string(h.lo + i) : published;
        exposed[key] = json::object();
        bindings[key].push_back({{"HostIp", hostIp}, {"HostPort", hp}});
    }
    return okStatus();
}

Status addExpose(const std::string& e, json& exposed) {
    auto slash = e.find('/');
    std::string proto = slash == std::string::npos ? "tcp" : e.substr(slash + 1);
    Range r = TRY(portRange(e.substr(0, slash), "exposed"));
    for (int port = r.lo; port <= r.hi; port++)
        exposed[std::to_string(port) + "/" + proto] = json::object();
    return okStatus();
}

// ---- mounts ------------------------------------------------------------------------------------

// `volumes` -> Mounts, except binds that may create their host path: those go to Binds, as
// docker compose does, since the Mounts API refuses a missing bind source.
Status addVolumes(const Project& p, const json& s, json& hc) {
    auto it = s.find("volumes");
    if (it == s.end() || !it->is_array()) return okStatus();
    for (const auto& v : *it) {
        if (!v.is_object()) continue;
        std::string type = str(v, "type"), src = str(v, "source"), dst = str(v, "target");
        if (dst.empty()) return invalid("volume of type {} has no target", type);
        bool ro = flag(v, "read_only");
        json m = {{"Type", type}, {"Target", dst}};
        if (ro) m["ReadOnly"] = true;
        if (has(v, "consistency")) m["Consistency"] = v["consistency"];
        if (type == "bind") {
            const json& b = v.value("bind", emptyObject());
            std::string prop = str(b, "propagation"), selinux = str(b, "selinux");
            bool create = flag(b, "create_host_path");
            if (create && prop.empty() && !has(b, "recursive")) {
                std::string mode = ro ? "ro" : "rw";
                if (!selinux.empty()) mode += "," + selinux;
                hc["Binds"].push_back(src + ":" + dst + ":" + mode);
                continue;
            }
            m["Source"] = src;
            json bo = json::object();
            if (!prop.empty()) bo["Propagation"] = prop;
            if (create) bo["CreateMountpoint"] = true;
            if (has(b, "recursive")) {
                std::string r = scalar(b["recursive"]);
                if (r == "disabled") bo["NonRecursive"] = true;
                if (r == "writable") bo["ReadOnlyNonRecursive"] = true;
                if (r == "readonly") bo["ReadOnlyForceRecursive"] = true;
            }
            if (!bo.empty()) m["BindOptions"] = bo;
        } else if (type == "volume") {
            if (!src.empty()) {
                std::string name = str(section(p.model, "volumes", src), "name");
                m["Source"] = name.empty() ? src : name;
            }
            const json& vo = v.value("volume", emptyObject());
            json o = json::object();
            if (flag(vo, "nocopy")) o["NoCopy"] = true;
            if (has(vo, "subpath")) o["Subpath"] = vo["subpath"];
            if (!o.empty()) m["VolumeOptions"] = o;
        } else if (type == "tmpfs") {
            const json& to = v.value("tmpfs", emptyObject());
            json o = json::object();
            if (has(to, "size")) o["SizeBytes"] = TRY(bytes(to["size"], "tmpfs size"));
            if (has(to, "mode")) o["Mode"] = TRY(integer(to["mode"], "tmpfs mode"));
            if (!o.empty()) m["TmpfsOptions"] = o;
        } else if (type == "image") {
            m["Source"] = src;
            const json& io = v.value("image", emptyObject());
            if (has(io, "subpath")) m["ImageOptions"] = {{"Subpath", io["subpath"]}};
        } else if (type == "npipe" || type == "cluster") {
            if (!src.empty()) m["Source"] = src;
        } else {
            return invalid("unsupported volume type \"{}\" for {}", type, dst);
        }
        hc["Mounts"].push_back(m);
    }
    return okStatus();
}

// Where a secret/config lands in the container.
std::string secretTarget(const json& ref, bool secret) {
    std::string source = str(ref, "source"), target = str(ref, "target");
    if (secret) {
        if (target.empty()) target = source;
        return target[0] == '/' ? target : "/run/secrets/" + target;
    }
    if (target.empty()) return "/" + source;
    return target[0] == '/' ? target : "/" + target;
}

// Secrets and configs backed by a file: read-only bind mounts.
Status addFileSecrets(const Project& p, const json& s, json& hc) {
    for (bool secret : {true, false}) {
        const char* kind = secret ? "secrets" : "configs";
        for (const auto& ref : s.value(kind, json::array())) {
            if (!ref.is_object()) continue;
            std::string source = str(ref, "source");
            const json& top = section(p.model, kind, source);
            if (flag(top, "external"))
                return invalid("unsupported external {} {}: external {} need swarm mode",
                               secret ? "secret" : "config", str(top, "name"), kind);
            if (!has(top, "file")) continue;  // environment/content: injectedFiles()
            hc["Mounts"].push_back({{"Type", "bind"},
                                    {"Source", str(top, "file")},
                                    {"Target", secretTarget(ref, secret)},
                                    {"ReadOnly", true}});
        }
    }
    return okStatus();
}

// ---- host config -------------------------------------------------------------------------------

Result<json> restartPolicy(const json& s) {
    if (has(s, "restart")) {
        std::string r = scalar(s["restart"]);
        if (r == "no" || r == "always" || r == "unless-stopped" || r == "on-failure")
            return json{{"Name", r}, {"MaximumRetryCount", 0}};
        if (r.rfind("on-failure:", 0) == 0) {
            std::string n = r.substr(11);
            char* end = nullptr;
            long v = std::strtol(n.c_str(), &end, 10);
            if (!n.empty() && *end == '\0' && v >= 0)
                return json{{"Name", "on-failure"}, {"MaximumRetryCount", v}};
        }
        return invalid("invalid restart policy \"{}\"", r);
    }
    const json& rp = s.value("deploy", emptyObject()).value("restart_policy", emptyObject());
    if (rp.empty()) return json();
    std::string cond = str(rp, "condition");
    std::string name = cond == "none" ? "no" : cond == "on-failure" ? "on-failure" : "always";
    json out = {{"Name", name}, {"MaximumRetryCount", 0}};
    if (has(rp, "max_attempts") && name == "on-failure")
        out["MaximumRetryCount"] = TRY(integer(rp["max_attempts"], "deploy.restart_policy"));
    return out;
}

// Service-level settings first; deploy.resources fills what they leave unset.
Status addResources(const json& s, json& hc) {
    const json& res = s.value("deploy", emptyObject()).value("resources", emptyObject());
    const json& lim = res.value("limits", emptyObject());
    const json& resv = res.value("reservations", emptyObject());
    auto pick = [](const json& a, const char* ka, const json& b, const char* kb) -> const json* {
        if (has(a, ka)) return &a[ka];
        if (has(b, kb)) return &b[kb];
        return nullptr;
    };
    if (auto v = pick(s, "mem_limit", lim, "memory")) hc["Memory"] = TRY(bytes(*v, "memory"));
    if (auto v = pick(s, "cpus", lim, "cpus")) hc["NanoCpus"] = TRY(nanoCpus(*v, "cpus"));
    if (auto v = pick(s, "pids_limit", lim, "pids"))
        hc["PidsLimit"] = TRY(integer(*v, "pids_limit"));
    if (auto v = pick(s, "mem_reservation", resv, "memory"))
        hc["MemoryReservation"] = TRY(bytes(*v, "memory reservation"));
    if (has(s, "memswap_limit")) hc["MemorySwap"] = TRY(bytes(s["memswap_limit"], "memswap_limit"));
    if (has(s, "mem_swappiness"))
        hc["MemorySwappiness"] = TRY(integer(s["mem_swappiness"], "mem_swappiness"));
    static const std::pair<const char*, const char*> kInts[] = {
        {"cpu_shares", "CpuShares"},   {"cpu_quota", "CpuQuota"},
        {"cpu_period", "CpuPeriod"},   {"cpu_count", "CpuCount"},
        {"cpu_percent", "CpuPercent"}, {"oom_score_adj", "OomScoreAdj"}};
    for (auto [k, api] : kInts)
        if (has(s, k)) hc[api] = TRY(integer(s[k], k));
    for (auto [k, api] : {std::pair{"cpu_rt_runtime", "CpuRealtimeRuntime"},
                          std::pair{"cpu_rt_period", "CpuRealtimePeriod"}}) {
        if (!has(s, k)) continue;
        // Microseconds: a duration string, or a plain number of them.
        if (s[k].is_string())
            hc[api] = TRY(durationNs(s[k], k)) / 1000;
        else
            hc[api] = TRY(integer(s[k], k));
    }
    if (has(s, "cpuset")) hc["CpusetCpus"] = scalar(s["cpuset"]);
    if (has(s, "oom_kill_disable")) hc["OomKillDisable"] = flag(s, "oom_kill_disable");
    const json& blkio = s.value("blkio_config", emptyObject());
    if (has(blkio, "weight")) hc["BlkioWeight"] = TRY(integer(blkio["weight"], "blkio weight"));
    for (const auto& wd : blkio.value("weight_device", json::array())) {
        int64_t w = TRY(integer(wd.value("weight", json()), "blkio weight_device"));
        hc["BlkioWeightDevice"].push_back({{"Path", str(wd, "path")}, {"Weight", w}});
    }
    static const std::pair<const char*, const char*> kRates[] = {
        {"device_read_bps", "BlkioDeviceReadBps"},
        {"device_write_bps", "BlkioDeviceWriteBps"},
        {"device_read_iops", "BlkioDeviceReadIOps"},
        {"device_write_iops", "BlkioDeviceWriteIOps"}};
    for (auto [k, api] : kRates)
        for (const auto& d : blkio.value(k, json::array())) {
            int64_t rate = TRY(bytes(d.value("rate", json()), k));
            hc[api].push_back({{"Path", str(d, "path")}, {"Rate", rate}});
        }
    return okStatus();
}

Result<json> deviceRequest(const json& d) {
    json r = {{"Driver", str(d, "driver")}, {"Count", 0}};
    if (has(d, "count") && scalar(d["count"]) == "all")
        r["Count"] = -1;
    else if (has(d, "count"))
        r["Count"] = TRY(integer(d["count"], "device count"));
    else if (!has(d, "device_ids"))
        r["Count"] = -1;  // no count and no ids: all of them, as compose does
    r["DeviceIDs"] = json(strings(d, "device_ids"));
    r["Capabilities"] = json::array({json(strings(d, "capabilities"))});
    r["Options"] = stringMap(d.value("options", emptyObject()));
    return r;
}

Status addDevices(const json& s, json& hc) {
    for (const auto& d : s.value("devices", json::array())) {
        std::string host, inside, perms = "rwm";
        if (d.is_string()) {
            std::string spec = d.get<std::string>();
            auto a = spec.find(':');
            host = spec.substr(0, a);
            inside = host;
            if (a != std::string::npos) {
                auto b = spec.find(':', a + 1);
                inside = spec.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
                if (b != std::string::npos) perms = spec.substr(b + 1);
            }
        } else if (d.is_object()) {
            host = str(d, "source");
            inside = str(d, "target");
            if (inside.empty()) inside = host;
            if (has(d, "permissions")) perms = str(d, "permissions");
        } else {
            continue;
        }
        hc["Devices"].push_back(
            {{"PathOnHost", host}, {"PathInContainer", inside}, {"CgroupPermissions", perms}});
    }
    if (has(s, "gpus")) {
        if (s["gpus"].is_string())  // "all"
            hc["DeviceRequests"].push_back({{"Driver", ""},
                                            {"Count", -1},
                                            {"DeviceIDs", json::array()},
                                            {"Capabilities", {{"gpu"}}},
                                            {"Options", json::object()}});
        else
            for (const auto& g : s["gpus"]) {
                json r = TRY(deviceRequest(g));
                if (r["Capabilities"][0].empty()) r["Capabilities"] = {{"gpu"}};
                hc["DeviceRequests"].push_back(r);
            }
    }
    const json& resv = s.value("deploy", emptyObject())
                           .value("resources", emptyObject())
                           .value("reservations", emptyObject());
    for (const auto& d : resv.value("devices", json::array()))
        hc["DeviceRequests"].push_back(TRY(deviceRequest(d)));
    return okStatus();
}

Result<json> hostConfig(const Project& p, const json& s, const CreateOptions& o,
                        const std::string& networkMode) {
    json hc = json::object();
    TRY(addVolumes(p, s, hc));
    TRY(addFileSecrets(p, s, hc));
    if (o.publishPorts) {
        json exposed = json::object(), bindings = json::object();
        for (const auto& port : s.value("ports", json::array()))
            if (port.is_object()) TRY(addPort(port, exposed, bindings));
        if (!bindings.empty()) hc["PortBindings"] = bindings;
    }
    if (!o.oneoff) {
        json rp = TRY(restartPolicy(s));
        if (!rp.is_null()) hc["RestartPolicy"] = rp;
    }
    if (o.removeOnExit) hc["AutoRemove"] = true;
    if (!networkMode.empty()) hc["NetworkMode"] = networkMode;

    static const std::pair<const char*, const char*> kLists[] = {
        {"cap_add", "CapAdd"},
        {"cap_drop", "CapDrop"},
        {"dns", "Dns"},
        {"dns_search", "DnsSearch"},
        {"dns_opt", "DnsOptions"},
        {"extra_hosts", "ExtraHosts"},
        {"security_opt", "SecurityOpt"},
        {"device_cgroup_rules", "DeviceCgroupRules"}};
    for (auto [k, api] : kLists)
        if (has(s, k)) hc[api] = strings(s, k);
    if (has(s, "group_add") && s["group_add"].is_array()) {
        hc["GroupAdd"] = json::array();  // a number in YAML is still a group id
        for (const auto& g : s["group_add"]) hc["GroupAdd"].push_back(scalar(g));
    }
    static const std::pair<const char*, const char*> kStrings[] = {
        {"pid", "PidMode"},         {"ipc", "IpcMode"},
        {"uts", "UTSMode"},         {"userns_mode", "UsernsMode"},
        {"cgroup", "CgroupnsMode"}, {"cgroup_parent", "CgroupParent"},
        {"runtime", "Runtime"},     {"isolation", "Isolation"}};
    for (auto [k, api] : kStrings)
        if (has(s, k)) hc[api] = scalar(s[k]);
    if (has(s, "privileged")) hc["Privileged"] = flag(s, "privileged");
    if (has(s, "read_only")) hc["ReadonlyRootfs"] = flag(s, "read_only");
    if (has(s, "init")) hc["Init"] = flag(s, "init");
    if (has(s, "shm_size")) hc["ShmSize"] = TRY(bytes(s["shm_size"], "shm_size"));
    for (const auto& t : strings(s, "tmpfs")) {
        auto c = t.find(':');
        hc["Tmpfs"][t.substr(0, c)] = c == std::string::npos ? "" : t.substr(c + 1);
    }
    if (has(s, "sysctls")) hc["Sysctls"] = stringMap(s["sysctls"]);
    if (has(s, "storage_opt")) hc["StorageOpt"] = stringMap(s["storage_opt"]);
    if (has(s, "annotations")) hc["Annotations"] = stringMap(s["annotations"]);
    if (has(s, "ulimits") && s["ulimits"].is_object()) {
        for (auto& [name, u] : s["ulimits"].items()) {
            int64_t soft = 0, hard = 0;
            if (u.is_object()) {
                soft = TRY(integer(u.value("soft", json()), "ulimit " + name));
                hard = TRY(integer(u.value("hard", json()), "ulimit " + name));
            } else {
                soft = hard = TRY(integer(u, "ulimit " + name));
            }
            hc["Ulimits"].push_back({{"Name", name}, {"Soft", soft}, {"Hard", hard}});
        }
    }
    if (has(s, "logging")) {
        const json& l = s["logging"];
        hc["LogConfig"] = {{"Type", str(l, "driver")},
                           {"Config", stringMap(l.value("options", emptyObject()))}};
    }
    for (const auto& ref : strings(s, "volumes_from"))
        hc["VolumesFrom"].push_back(volumesFromRef(p, ref));
    for (const auto& l : strings(s, "links")) {
        auto c = l.find(':');
        std::string target = l.substr(0, c),
                    alias = c == std::string::npos ? target : l.substr(c + 1);
        hc["Links"].push_back(containerName(p, target, 1) + ":" + alias);
    }
    for (const auto& l : strings(s, "external_links")) hc["Links"].push_back(l);
    TRY(addResources(s, hc));
    TRY(addDevices(s, hc));
    return hc;
}

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
        json ep = endpointConfig(p, svc, primary, o.oneoff);
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
