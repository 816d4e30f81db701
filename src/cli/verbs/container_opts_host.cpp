// The HostConfig of the create body: namespace modes, restart policy, logging, security and
// storage options, ulimits, capabilities, DNS and hosts, resources and device throttling.
#include "cli/verbs/container_opts_internal.h"

#include <fstream>
#include <set>
#include <sstream>

#include "cli/units.h"

namespace berth::cli {

using copts::parseInt;
using copts::split;
using copts::trim;
using copts::upper;
using nlohmann::json;

namespace {

std::string normalizeCap(std::string_view c) {
    std::string s = upper(trim(c));
    if (s == "ALL") return s;
    if (s.rfind("CAP_", 0) != 0) s = "CAP_" + s;
    return s;
}

// docker's EffectiveCapAddCapDrop: normalised, sorted, added caps are not dropped.
void effectiveCaps(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                   json& capAdd, json& capDrop) {
    std::set<std::string> a, d;
    for (auto& c : add) a.insert(normalizeCap(c));
    for (auto& c : drop) {
        std::string n = normalizeCap(c);
        if (!a.count(n)) d.insert(n);
    }
    capAdd = a.empty() ? json(nullptr) : json(std::vector<std::string>(a.begin(), a.end()));
    capDrop = d.empty() ? json(nullptr) : json(std::vector<std::string>(d.begin(), d.end()));
}

// pid/uts/userns/cgroupns/ipc mode validity as container.*Mode.Valid().
bool validNsMode(std::string_view kind, std::string_view v) {
    if (v.empty()) return true;
    if (kind == "pid") return v == "host" || (v.rfind("container:", 0) == 0 && v.size() > 10);
    if (kind == "uts") return v == "host";
    if (kind == "userns") return v == "host";
    if (kind == "cgroupns") return v == "host" || v == "private";
    return true;
}

}  // namespace

Result<Ulimit> parseUlimit(std::string_view spec) {
    static const std::set<std::string, std::less<>> names = {
        "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
        "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) return invalid("invalid ulimit argument: {}", spec);
    Ulimit u;
    u.name = std::string(spec.substr(0, eq));
    if (!names.count(u.name)) return invalid("invalid ulimit type: {}", u.name);
    auto vals = split(spec.substr(eq + 1), ':');
    if (vals.size() > 2)
        return invalid(
            "too many limit value arguments - {}, can only have up to two, "
            "`soft[:hard]`",
            spec.substr(eq + 1));
    u.soft = TRY(parseInt(vals[0]));
    u.hard = vals.size() == 2 ? TRY(parseInt(vals[1])) : u.soft;
    if (u.soft > u.hard)
        return invalid("ulimit soft limit must be less than or equal to hard limit: {} > {}",
                       u.soft, u.hard);
    return u;
}

namespace copts {

Status parseHostOpts(const Flags& f, HostOpts& h) {
    if (!validNsMode("pid", f.s("pid"))) return invalid("--pid: invalid PID mode");
    if (!validNsMode("uts", f.s("uts"))) return invalid("--uts: invalid UTS mode");
    if (!validNsMode("userns", f.s("userns"))) return invalid("--userns: invalid USER mode");
    if (!validNsMode("cgroupns", f.s("cgroupns")))
        return invalid("--cgroupns: invalid CGROUP mode");

    // --restart: opts.ParseRestartPolicy.
    h.restart = {{"Name", "no"}, {"MaximumRetryCount", 0}};
    {
        const std::string& r = f.s("restart");
        auto c = r.find(':');
        std::string name = r.substr(0, c);
        if (name.empty() && !r.empty())
            return invalid("invalid restart policy format: no policy provided before colon");
        if (!name.empty()) h.restart["Name"] = name;
        if (c != std::string::npos) {
            auto n = parseInt(r.substr(c + 1));
            if (!n)
                return invalid(
                    "invalid restart policy format: maximum retry count must be an integer");
            h.restart["MaximumRetryCount"] = *n;
        }
    }

    h.logOpts = kvMap(f.l("log-opt"));
    if (f.s("log-driver") == "none" && !f.l("log-opt").empty())
        return invalid("invalid logging opts for driver none");

    h.securityOpt = f.l("security-opt").empty() ? json(nullptr) : json::array();
    for (auto& o : f.l("security-opt")) {
        auto eq = o.find('=');
        if (eq == std::string::npos && o != "no-new-privileges") eq = o.find(':');
        std::string k = o.substr(0, eq), v = eq == std::string::npos ? "" : o.substr(eq + 1);
        if ((eq == std::string::npos || v.empty()) && k != "no-new-privileges")
            return invalid("Invalid --security-opt: \"{}\"", o);
        std::string entry = o;
        if (k == "seccomp" && v != "builtin" && v != "unconfined") {
            std::ifstream in(v);
            if (!in)
                return invalid(
                    "opening seccomp profile ({}) failed: open {}: no such file or "
                    "directory",
                    v, v);
            std::stringstream ss;
            ss << in.rdbuf();
            auto prof = json::parse(ss.str(), nullptr, false);
            if (prof.is_discarded())
                return invalid("compacting json for seccomp profile ({}) failed: invalid JSON", v);
            entry = "seccomp=" + prof.dump();
        }
        if (o == "systempaths=unconfined") {
            h.maskedPaths = json::array();
            h.readonlyPaths = json::array();
            continue;
        }
        h.securityOpt.push_back(entry);
    }

    for (auto& o : f.l("storage-opt")) {
        auto eq = o.find('=');
        if (eq == std::string::npos) return invalid("invalid storage option");
        if (h.storageOpt.is_null()) h.storageOpt = json::object();
        h.storageOpt[o.substr(0, eq)] = o.substr(eq + 1);
    }

    h.ulimits = json::array();
    {
        std::map<std::string, Ulimit> byName;  // later flags replace earlier ones, as docker's
        for (auto& u : f.l("ulimit")) {
            auto ul = TRY(parseUlimit(u));
            byName[ul.name] = ul;
        }
        for (auto& [n, u] : byName)
            h.ulimits.push_back({{"Name", u.name}, {"Hard", u.hard}, {"Soft", u.soft}});
    }

    for (auto& m : f.l("mount")) {
        if (h.mounts.is_null()) h.mounts = json::array();
        h.mounts.push_back(TRY(parseMount(m)));
    }

    if (!f.l("sysctl").empty()) h.sysctls = kvMap(f.l("sysctl"));
    if (!f.l("annotation").empty()) h.annotations = kvMap(f.l("annotation"));
    return {};
}

Result<json> hostConfigJson(const Flags& f, const ContainerSpec& spec, const FlagValues& fv,
                            const HostOpts& h, const std::string& networkMode) {
    json capAdd, capDrop;
    effectiveCaps(f.l("cap-add"), f.l("cap-drop"), capAdd, capDrop);

    json pb = json::object();
    for (auto& [port, bs] : h.portBindings) {
        json arr = json::array();
        for (auto& b : bs) arr.push_back({{"HostIp", b.hostIp}, {"HostPort", b.hostPort}});
        pb[port] = arr;
    }
    auto listOrNull = [](const std::vector<std::string>& l) {
        return l.empty() ? json(nullptr) : json(l);
    };
    std::vector<std::string> dnsOpts = f.l("dns-option");
    for (auto& o : f.l("dns-opt")) dnsOpts.push_back(o);
    std::vector<std::string> dns;
    for (auto& d : f.l("dns")) dns.push_back(trim(d));
    std::vector<std::string> extraHosts;
    for (auto& e : f.l("add-host")) {
        auto sep = e.find('=');
        if (sep == std::string::npos) sep = e.find(':');
        extraHosts.push_back(e.substr(0, sep) + ":" + e.substr(sep + 1));
    }

    json host = {
        {"Binds", h.binds},
        {"ContainerIDFile", spec.cidfile},
        {"LogConfig", {{"Type", f.s("log-driver")}, {"Config", h.logOpts}}},
        {"NetworkMode", networkMode},
        {"PortBindings", pb},
        {"RestartPolicy", h.restart},
        {"AutoRemove", spec.autoRemove},
        {"VolumeDriver", f.s("volume-driver")},
        {"VolumesFrom", listOrNull(f.l("volumes-from"))},
        {"ConsoleSize", {0, 0}},
        {"CapAdd", capAdd},
        {"CapDrop", capDrop},
        {"CgroupnsMode", f.s("cgroupns")},
        {"Dns", dns},
        {"DnsOptions", dnsOpts},
        {"DnsSearch", f.l("dns-search")},
        {"ExtraHosts", listOrNull(extraHosts)},
        {"GroupAdd", listOrNull(f.l("group-add"))},
        {"IpcMode", f.s("ipc")},
        {"Cgroup", ""},
        {"Links", listOrNull(f.l("link"))},
        {"OomScoreAdj", f.i("oom-score-adj")},
        {"PidMode", f.s("pid")},
        {"Privileged", f.b("privileged")},
        {"PublishAllPorts", f.b("publish-all")},
        {"ReadonlyRootfs", f.b("read-only")},
        {"SecurityOpt", h.securityOpt},
        {"UTSMode", f.s("uts")},
        {"UsernsMode", f.s("userns")},
        {"ShmSize", fv.shmSize},
        {"Isolation", f.s("isolation")},
        {"CpuShares", f.i("cpu-shares")},
        {"Memory", fv.memory},
        {"NanoCpus", fv.nanoCpus},
        {"CgroupParent", f.s("cgroup-parent")},
        {"BlkioWeight", f.u("blkio-weight")},
        {"BlkioWeightDevice", json::array()},
        {"BlkioDeviceReadBps", json::array()},
        {"BlkioDeviceWriteBps", json::array()},
        {"BlkioDeviceReadIOps", json::array()},
        {"BlkioDeviceWriteIOps", json::array()},
        {"CpuPeriod", f.i("cpu-period")},
        {"CpuQuota", f.i("cpu-quota")},
        {"CpuRealtimePeriod", f.i("cpu-rt-period")},
        {"CpuRealtimeRuntime", f.i("cpu-rt-runtime")},
        {"CpusetCpus", f.s("cpuset-cpus")},
        {"CpusetMems", f.s("cpuset-mems")},
        {"Devices", h.devices},
        {"DeviceCgroupRules", listOrNull(f.l("device-cgroup-rule"))},
        {"DeviceRequests", nullptr},
        {"MemoryReservation", fv.memoryReservation},
        {"MemorySwap", fv.memorySwap},
        {"MemorySwappiness", f.i("memory-swappiness")},
        {"OomKillDisable", f.b("oom-kill-disable")},
        {"PidsLimit", f.i("pids-limit")},
        {"Ulimits", h.ulimits},
        {"CpuCount", f.i("cpu-count")},
        {"CpuPercent", f.i("cpu-percent")},
        {"IOMaximumIOps", f.u("io-maxiops")},
        {"IOMaximumBandwidth", fv.ioMaxBandwidth},
        {"MaskedPaths", h.maskedPaths},
        {"ReadonlyPaths", h.readonlyPaths},
    };
    if (!h.storageOpt.is_null()) host["StorageOpt"] = h.storageOpt;
    if (!h.tmpfs.empty()) host["Tmpfs"] = h.tmpfs;
    if (!h.sysctls.is_null()) host["Sysctls"] = h.sysctls;
    if (!f.s("runtime").empty()) host["Runtime"] = f.s("runtime");
    if (!h.mounts.is_null()) host["Mounts"] = h.mounts;
    if (!h.annotations.is_null()) host["Annotations"] = h.annotations;
    if (f.changed("init")) host["Init"] = f.b("init");
    // Throttling lists: "path:rate" as docker's ThrottledeviceOpt.
    auto throttle = [&](std::string_view flag, std::string_view key, bool bytes) -> Status {
        for (auto& v : f.l(flag)) {
            auto c = v.rfind(':');
            if (c == std::string::npos || v.rfind("/dev/", 0) != 0)
                return flagError(f, flag, v, fmt::format("bad format: {}", v));
            std::string rate = v.substr(c + 1);
            int64_t r = 0;
            if (bytes) {
                auto b = parseBytes(rate);
                if (!b || *b < 0)
                    return flagError(
                        f, flag, v,
                        fmt::format("invalid rate for device: {}. The correct format "
                                    "is <device-path>:<number>[<unit>]. Number must be "
                                    "a positive integer. Unit is optional and can be "
                                    "kb, mb, or gb",
                                    v));
                r = *b;
            } else {
                auto n = parseUint(rate, 64);
                if (!n)
                    return flagError(f, flag, v,
                                     fmt::format("invalid rate for device: {}. The correct format "
                                                 "is <device-path>:<number>. Number must be a "
                                                 "positive integer",
                                                 v));
                r = static_cast<int64_t>(*n);
            }
            host[std::string(key)].push_back({{"Path", v.substr(0, c)}, {"Rate", r}});
        }
        return {};
    };
    TRY(throttle("device-read-bps", "BlkioDeviceReadBps", true));
    TRY(throttle("device-write-bps", "BlkioDeviceWriteBps", true));
    TRY(throttle("device-read-iops", "BlkioDeviceReadIOps", false));
    TRY(throttle("device-write-iops", "BlkioDeviceWriteIOps", false));
    for (auto& v : f.l("blkio-weight-device")) {
        auto c = v.rfind(':');
        auto w = c == std::string::npos ? Result<uint64_t>(invalid("x"))
                                        : parseUint(v.substr(c + 1), 16);
        if (!w || v.rfind("/dev/", 0) != 0 || (*w != 0 && (*w < 10 || *w > 1000)))
            return flagError(f, "blkio-weight-device", v,
                             fmt::format("invalid weight for device: {}", v));
        host["BlkioWeightDevice"].push_back({{"Path", v.substr(0, c)}, {"Weight", *w}});
    }
    return host;
}

}  // namespace copts

}  // namespace berth::cli
