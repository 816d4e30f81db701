// POST /containers/create: the request merged with the image's config as docker merges them,
// and HostConfig checked so that an impossible setting fails here, not at start.
#include <unistd.h>

#include <algorithm>

#include "engine/internal.h"
#include "engine/namespace_modes.h"
#include "engine/security.h"

namespace berth::engine {

namespace {

std::string envKey(const std::string& kv) {
    return kv.substr(0, kv.find('='));
}

bool emptyish(const Json& j) {
    return j.is_null() || (j.is_array() && j.empty()) ||
           (j.is_string() && j.get<std::string>().empty());
}

// docker's merge(userConf, imageConf) (daemon/commit.go).
void mergeImageConfig(Json& cfg, const Json& img) {
    if (!img.is_object()) return;
    if (cfg.value("User", "").empty() && img.contains("User")) cfg["User"] = img["User"];
    if (img.contains("ExposedPorts") && img["ExposedPorts"].is_object()) {
        if (!cfg["ExposedPorts"].is_object()) cfg["ExposedPorts"] = Json::object();
        for (auto& [k, v] : img["ExposedPorts"].items())
            if (!cfg["ExposedPorts"].contains(k)) cfg["ExposedPorts"][k] = Json::object();
    }
    if (img.contains("Env") && img["Env"].is_array()) {
        if (!cfg["Env"].is_array() || cfg["Env"].empty()) {
            cfg["Env"] = img["Env"];
        } else {
            std::set<std::string> keys;
            for (const auto& e : cfg["Env"]) keys.insert(envKey(e.get<std::string>()));
            for (const auto& e : img["Env"])
                if (!keys.count(envKey(e.get<std::string>()))) cfg["Env"].push_back(e);
        }
    }
    if (img.contains("Labels") && img["Labels"].is_object()) {
        Json labels = img["Labels"];
        if (cfg["Labels"].is_object())
            for (auto& [k, v] : cfg["Labels"].items()) labels[k] = v;
        cfg["Labels"] = labels;
    }
    // An empty Entrypoint takes the image's Cmd; only an absent (null) one takes the image's
    // Entrypoint too. [""] is not empty here: it resets both (see buildContainer).
    if (!cfg["Entrypoint"].is_array() || cfg["Entrypoint"].empty()) {
        if (emptyish(cfg["Cmd"])) cfg["Cmd"] = img.value("Cmd", Json());
        if (cfg["Entrypoint"].is_null()) cfg["Entrypoint"] = img.value("Entrypoint", Json());
    }
    if (img.contains("Healthcheck") && img["Healthcheck"].is_object()) {
        if (!cfg["Healthcheck"].is_object()) {
            cfg["Healthcheck"] = img["Healthcheck"];
        } else {
            for (const char* k :
                 {"Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"})
                if (emptyish(cfg["Healthcheck"].value(k, Json())) ||
                    cfg["Healthcheck"].value(k, Json()) == Json(0))
                    if (img["Healthcheck"].contains(k))
                        cfg["Healthcheck"][k] = img["Healthcheck"][k];
        }
    }
    if (cfg.value("WorkingDir", "").empty()) cfg["WorkingDir"] = img.value("WorkingDir", "");
    if (img.contains("Volumes") && img["Volumes"].is_object()) {
        if (!cfg["Volumes"].is_object()) cfg["Volumes"] = Json::object();
        for (auto& [k, v] : img["Volumes"].items()) cfg["Volumes"][k] = Json::object();
    }
    if (cfg.value("StopSignal", "").empty() && img.contains("StopSignal"))
        cfg["StopSignal"] = img["StopSignal"];
    if (emptyish(cfg["Shell"]) && img.contains("Shell")) cfg["Shell"] = img["Shell"];
    if (emptyish(cfg["OnBuild"]) && img.contains("OnBuild")) cfg["OnBuild"] = img["OnBuild"];
}

long cpuCount() {
    return std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
}

Status checkCpuset(const std::string& set, long max, const char* what) {
    if (set.empty()) return okStatus();
    size_t i = 0;
    while (i < set.size()) {
        size_t end = set.find(',', i);
        std::string part = set.substr(i, end == std::string::npos ? std::string::npos : end - i);
        auto dash = part.find('-');
        try {
            long a = std::stol(part.substr(0, dash));
            long b = dash == std::string::npos ? a : std::stol(part.substr(dash + 1));
            if (a < 0 || b < a) throw std::invalid_argument(part);
            if (b >= max)
                return invalid("Requested {} {} is not available - usable {}: 0-{}", what, set,
                               what, max - 1);
        } catch (const std::exception&) {
            return invalid("Invalid value {} for {}", set, what);
        }
        if (end == std::string::npos) break;
        i = end + 1;
    }
    return okStatus();
}

// docker's verifyContainerSettings on the request's own Config (the image's is not checked).
Status validateRequestConfig(const Json& cfg) {
    for (const char* k : {"WorkingDir", "StopSignal"})
        if (cfg.contains(k) && !cfg[k].is_string())
            return invalid(
                "json: cannot unmarshal {} into Go struct field Config.{} of type string",
                cfg[k].type_name(), k);
    std::string wd = cfg.value("WorkingDir", "");
    if (!wd.empty() && wd[0] != '/')
        return invalid("the working directory '{}' is invalid, it needs to be an absolute path",
                       wd);
    std::string sig = cfg.value("StopSignal", "");
    if (!sig.empty()) TRY(parseSignalName(sig));
    return okStatus();
}

}  // namespace

Status validateHostConfig(Json& hc, std::vector<std::string>& warnings) {
    (void)warnings;
    if (!hc.is_object()) hc = Json::object();
    // Clients send null for "not set" (docker-py, the CLI's update): the same as absent here.
    for (auto it = hc.begin(); it != hc.end();) it = it->is_null() ? hc.erase(it) : std::next(it);
    auto num = [&](const char* k) -> int64_t {
        const Json& v = hc.value(k, Json());
        return v.is_number() ? v.get<int64_t>() : 0;
    };
    int64_t mem = num("Memory"), swap = num("MemorySwap");
    if (mem != 0 && mem < 6 * 1024 * 1024) return invalid("Minimum memory limit allowed is 6MB");
    if (swap > 0 && mem == 0)
        return invalid("You should always set the Memory limit when using Memoryswap limit");
    if (swap > 0 && swap < mem)
        return invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (num("MemoryReservation") != 0 && num("MemoryReservation") < 6 * 1024 * 1024)
        return invalid("Minimum memory reservation allowed is 6MB");
    int64_t nano = num("NanoCpus");
    if (nano != 0 && (num("CpuPeriod") != 0 || num("CpuQuota") != 0))
        return invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (nano < 0 || nano > cpuCount() * 1000000000LL)
        return invalid("Range of CPUs is from 0.01 to {}.00, as there are only {} CPUs available",
                       cpuCount(), cpuCount());
    if (num("CpuShares") < 0) return invalid("invalid CPU shares: {}", num("CpuShares"));
    if (num("CpuQuota") != 0 && num("CpuQuota") < 1000)
        return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (num("CpuPeriod") != 0 && (num("CpuPeriod") < 1000 || num("CpuPeriod") > 1000000))
        return invalid(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s "
            "(i.e. 1000000)");
    TRY(checkCpuset(hc.value("CpusetCpus", ""), cpuCount(), "cpuset.cpus"));
    if (num("ShmSize") < 0) return invalid("SHM size can not be less than 0");
    int64_t blkio = num("BlkioWeight");
    if (blkio != 0 && (blkio < 10 || blkio > 1000))
        return invalid("Range of blkio weight is from 10 to 1000");
    int64_t oomAdj = num("OomScoreAdj");
    if (oomAdj < -1000 || oomAdj > 1000)
        return invalid("Invalid value {}, range for oom score adj is [-1000, 1000]", oomAdj);

    // Restart policy.
    Json rp = hc.value("RestartPolicy", Json::object());
    if (!rp.is_object()) rp = Json::object();
    std::string rpName = rp.value("Name", "");
    int maxRetry = rp.value("MaximumRetryCount", 0);
    if (rpName == "no") rpName = "";
    if (rpName != "" && rpName != "always" && rpName != "unless-stopped" && rpName != "on-failure")
        return invalid("invalid restart policy '{}'", rpName);
    if (maxRetry < 0)
        return invalid("invalid restart policy: maximum retry count can't be negative");
    if (maxRetry > 0 && rpName != "on-failure")
        return invalid(
            "invalid restart policy: maximum retry count can only be used with "
            "'on-failure'");
    if (hc.value("AutoRemove", false) && rpName != "")
        return invalid("can't create 'AutoRemove' container with restart policy");
    hc["RestartPolicy"] = {{"Name", rpName.empty() ? "no" : rpName},
                           {"MaximumRetryCount", maxRetry}};

    // Capabilities and security options fail now, not at start.
    TRY(capabilities(stringList(hc.value("CapAdd", Json())),
                     stringList(hc.value("CapDrop", Json())), hc.value("Privileged", false)));
    SecurityOpts so;
    TRY(parseSecurityOpts(stringList(hc.value("SecurityOpt", Json())), so));

    // Ulimits.
    if (hc.contains("Ulimits") && hc["Ulimits"].is_array()) {
        for (const auto& u : hc["Ulimits"]) {
            std::string n = u.value("Name", "");
            static const std::set<std::string> kKnown = {
                "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
                "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    "as"};
            if (!kKnown.count(n)) return invalid("invalid ulimit type: {}", n);
            if (u.value("Soft", int64_t{0}) > u.value("Hard", int64_t{0}))
                return invalid(
                    "ulimit soft limit must be less than or equal to hard limit: {} > {}",
                    u.value("Soft", int64_t{0}), u.value("Hard", int64_t{0}));
        }
    }
    // PID, IPC and UTS modes (namespace_modes.h).
    TRY(validateNamespaceModes(hc));
    // docker records its default IPC mode (the daemon's default-ipc-mode, "private").
    if (!hc.contains("IpcMode") || hc["IpcMode"] == "") hc["IpcMode"] = "private";
    // Network mode.
    std::string nm = hc.value("NetworkMode", "");
    if (nm.empty() || nm == "default") hc["NetworkMode"] = "bridge";
    if (nm == "host" && !hc.value("PortBindings", Json::object()).empty())
        warnings.push_back("Published ports are discarded when using host network mode");
    if (!hc.contains("LogConfig") || !hc["LogConfig"].is_object() ||
        hc["LogConfig"].value("Type", "").empty())
        hc["LogConfig"] = {{"Type", "json-file"}, {"Config", Json::object()}};
    std::string lt = hc["LogConfig"].value("Type", "");
    if (lt != "json-file" && lt != "local" && lt != "none")
        return invalid("logging driver \"{}\" is not supported (json-file, local, none)", lt);
    return okStatus();
}

Result<Container> buildContainer(const Json& body, const std::string& id, const std::string& name,
                                 const Json& imageConfig, const std::string& imageRef,
                                 const std::string& imageId, std::vector<std::string>& warnings) {
    Container c;
    c.id = id;
    c.name = name;
    c.created = nowRfc3339Nano();
    c.image = imageRef;
    c.imageId = imageId;

    Json cfg = Json::object();
    static const char* kConfigKeys[] = {
        "Hostname",     "Domainname",   "User",        "AttachStdin",     "AttachStdout",
        "AttachStderr", "ExposedPorts", "Tty",         "OpenStdin",       "StdinOnce",
        "Env",          "Cmd",          "Healthcheck", "ArgsEscaped",     "Image",
        "Volumes",      "WorkingDir",   "Entrypoint",  "NetworkDisabled", "MacAddress",
        "OnBuild",      "Labels",       "StopSignal",  "StopTimeout",     "Shell"};
    for (const char* k : kConfigKeys)
        if (body.contains(k) && !body[k].is_null()) cfg[k] = body[k];
    for (const char* k : {"Env", "Cmd", "Entrypoint", "Shell", "OnBuild"})
        if (cfg.contains(k) && !cfg[k].is_null() && !cfg[k].is_array()) {
            if (cfg[k].is_string() && (std::string(k) == "Cmd" || std::string(k) == "Entrypoint"))
                cfg[k] = Json::array({cfg[k]});
            else
                return invalid("json: cannot unmarshal {} into Go struct field of type []string",
                               cfg[k].type_name());
        }
    for (const auto& e : cfg.value("Env", Json::array())) {
        if (!e.is_string()) return invalid("invalid environment variable: {}", e.dump());
        std::string s = e.get<std::string>();
        if (s.empty() || s[0] == '=') return invalid("invalid environment variable: {}", s);
    }
    TRY(validateRequestConfig(cfg));
    mergeImageConfig(cfg, imageConfig);
    cfg["Image"] = imageRef;
    // docker: Entrypoint [""] (`--entrypoint ''`) means "no entrypoint", after the merge.
    if (cfg["Entrypoint"] == Json::array({""})) cfg["Entrypoint"] = Json();

    std::vector<std::string> argv;
    for (const char* k : {"Entrypoint", "Cmd"})
        for (const auto& a : cfg.value(k, Json::array()))
            if (a.is_string()) argv.push_back(a.get<std::string>());
    if (argv.empty()) return invalid("No command specified");
    c.path = argv[0];
    c.args.assign(argv.begin() + 1, argv.end());

    Json hc = body.value("HostConfig", Json::object());
    TRY(validateHostConfig(hc, warnings));
    if (cfg.value("Hostname", "").empty()) {
        std::string nm = hc.value("NetworkMode", "");
        if (nm == "host") {
            char h[256] = {};
            gethostname(h, sizeof h - 1);
            cfg["Hostname"] = std::string(h);
        } else {
            cfg["Hostname"] = id.substr(0, 12);
        }
    }
    for (const char* k :
         {"AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"})
        if (!cfg.contains(k)) cfg[k] = false;
    if (!cfg.contains("Env") || cfg["Env"].is_null()) cfg["Env"] = Json::array();
    if (!cfg.contains("Labels") || !cfg["Labels"].is_object()) cfg["Labels"] = Json::object();
    c.config = cfg;
    c.hostConfig = hc;
    c.networkingConfig = body.value("NetworkingConfig", Json::object());
    if (!c.networkingConfig.is_object()) c.networkingConfig = Json::object();
    if (cfg.contains("Healthcheck") && cfg["Healthcheck"].is_object()) {
        auto test = cfg["Healthcheck"].value("Test", Json::array());
        if (test.is_array() && !test.empty() && test[0] != "NONE")
            c.state.health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
    }
    return c;
}

}  // namespace berth::engine
