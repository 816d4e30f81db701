// Service -> HostConfig (and the port maps of the create body): ports, mounts, secrets and
// configs from files, restart policy, resources, devices, as docker compose v2 fills them.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "compose/convert_internal.h"
#include "compose/labels.h"
#include "compose/project.h"
#include "compose/values.h"

namespace berth::compose::detail {

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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
}  // namespace berth::compose::detail
