// The flags of `run` and `create` (docker's container flag set) and the checks pflag makes while
// parsing them: list values validated as each is set, sizes, --cpus and durations converted.
#include "cli/verbs/container_opts_internal.h"

#include <regex>
#include <set>

#include "cli/units.h"

namespace berth::cli {

void defineContainerFlags(Flags& f, bool run) {
    f.list("add-host", 0, "Add a custom host-to-IP mapping (host:ip)");
    f.list("annotation", 0,
           "Add an annotation to the container (passed through to the OCI runtime) (default "
           "map[])",
           "map");
    f.list("attach", 'a', "Attach to STDIN, STDOUT or STDERR");
    f.uinteger("blkio-weight", 0, 0,
               "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
               "uint16");
    f.list("blkio-weight-device", 0, "Block IO weight (relative device weight) (default [])");
    f.list("cap-add", 0, "Add Linux capabilities");
    f.list("cap-drop", 0, "Drop Linux capabilities");
    f.string("cgroup-parent", 0, "", "Optional parent cgroup for the container");
    f.string("cgroupns", 0, "",
             "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker "
             "host's cgroup namespace\n'private': Run the container in its own private cgroup "
             "namespace\n'':        Use the cgroup namespace as configured by the\n           "
             "default-cgroupns-mode option on the daemon (default)");
    f.string("cidfile", 0, "", "Write the container ID to the file");
    f.integer("cpu-count", 0, 0, "CPU count (Windows only)");
    f.integer("cpu-percent", 0, 0, "CPU percent (Windows only)");
    f.integer("cpu-period", 0, 0, "Limit CPU CFS (Completely Fair Scheduler) period");
    f.integer("cpu-quota", 0, 0, "Limit CPU CFS (Completely Fair Scheduler) quota");
    f.integer("cpu-rt-period", 0, 0, "Limit CPU real-time period in microseconds");
    f.integer("cpu-rt-runtime", 0, 0, "Limit CPU real-time runtime in microseconds");
    f.integer("cpu-shares", 'c', 0, "CPU shares (relative weight)");
    f.string("cpus", 0, "", "Number of CPUs", "decimal");
    f.string("cpuset-cpus", 0, "", "CPUs in which to allow execution (0-3, 0,1)");
    f.string("cpuset-mems", 0, "", "MEMs in which to allow execution (0-3, 0,1)");
    if (run) {
        f.boolean("detach", 'd', "Run container in background and print container ID");
        f.string("detach-keys", 0, "", "Override the key sequence for detaching a container");
    }
    f.list("device", 0, "Add a host device to the container");
    f.list("device-cgroup-rule", 0, "Add a rule to the cgroup allowed devices list");
    f.list("device-read-bps", 0, "Limit read rate (bytes per second) from a device (default [])");
    f.list("device-read-iops", 0, "Limit read rate (IO per second) from a device (default [])");
    f.list("device-write-bps", 0, "Limit write rate (bytes per second) to a device (default [])");
    f.list("device-write-iops", 0, "Limit write rate (IO per second) to a device (default [])");
    f.boolean("disable-content-trust", 0, "Skip image verification", true);
    f.list("dns", 0, "Set custom DNS servers");
    f.list("dns-opt", 0, "Set DNS options").hide();
    f.list("dns-option", 0, "Set DNS options");
    f.list("dns-search", 0, "Set custom DNS search domains");
    f.string("domainname", 0, "", "Container NIS domain name");
    f.string("entrypoint", 0, "", "Overwrite the default ENTRYPOINT of the image");
    f.list("env", 'e', "Set environment variables");
    f.list("env-file", 0, "Read in a file of environment variables");
    f.list("expose", 0, "Expose a port or a range of ports");
    f.string("gpus", 0, "", "GPU devices to add to the container ('all' to pass all GPUs)",
             "gpu-request");
    f.list("group-add", 0, "Add additional groups to join");
    f.string("health-cmd", 0, "", "Command to run to check health");
    f.string("health-interval", 0, "", "Time between running the check (ms|s|m|h) (default 0s)",
             "duration");
    f.integer("health-retries", 0, 0, "Consecutive failures needed to report unhealthy");
    f.string("health-start-interval", 0, "",
             "Time between running the check during the start period (ms|s|m|h) (default 0s)",
             "duration");
    f.string("health-start-period", 0, "",
             "Start period for the container to initialize before starting health-retries "
             "countdown (ms|s|m|h) (default 0s)",
             "duration");
    f.string("health-timeout", 0, "",
             "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", "duration");
    f.string("hostname", 'h', "", "Container host name");
    f.boolean("init", 0,
              "Run an init inside the container that forwards signals and reaps processes");
    f.boolean("interactive", 'i', "Keep STDIN open even if not attached");
    f.string("io-maxbandwidth", 0, "",
             "Maximum IO bandwidth limit for the system drive (Windows only)", "bytes");
    f.uinteger("io-maxiops", 0, 0, "Maximum IOps limit for the system drive (Windows only)");
    f.string("ip", 0, "", "IPv4 address (e.g., 172.30.100.104)");
    f.string("ip6", 0, "", "IPv6 address (e.g., 2001:db8::33)");
    f.string("ipc", 0, "", "IPC mode to use");
    f.string("isolation", 0, "", "Container isolation technology");
    f.string("kernel-memory", 0, "", "Kernel memory limit", "bytes");
    f.list("label", 'l', "Set meta data on a container");
    f.list("label-file", 0, "Read in a line delimited file of labels");
    f.list("link", 0, "Add link to another container");
    f.list("link-local-ip", 0, "Container IPv4/IPv6 link-local addresses");
    f.string("log-driver", 0, "", "Logging driver for the container");
    f.list("log-opt", 0, "Log driver options");
    f.string("mac-address", 0, "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
    f.string("memory", 'm', "", "Memory limit", "bytes");
    f.string("memory-reservation", 0, "", "Memory soft limit", "bytes");
    f.string("memory-swap", 0, "",
             "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", "bytes");
    f.integer("memory-swappiness", 0, -1, "Tune container memory swappiness (0 to 100)");
    f.list("mount", 0, "Attach a filesystem mount to the container", "mount");
    f.string("name", 0, "", "Assign a name to the container");
    f.list("net", 0, "Connect a container to a network", "network").hide();
    f.list("net-alias", 0, "Add network-scoped alias for the container").hide();
    f.list("network", 0, "Connect a container to a network", "network");
    f.list("network-alias", 0, "Add network-scoped alias for the container");
    f.boolean("no-healthcheck", 0, "Disable any container-specified HEALTHCHECK");
    f.boolean("oom-kill-disable", 0, "Disable OOM Killer");
    f.integer("oom-score-adj", 0, 0, "Tune host's OOM preferences (-1000 to 1000)");
    f.string("pid", 0, "", "PID namespace to use");
    f.integer("pids-limit", 0, 0, "Tune container pids limit (set -1 for unlimited)");
    f.string("platform", 0, "", "Set platform if server is multi-platform capable");
    f.boolean("privileged", 0, "Give extended privileges to this container");
    f.list("publish", 'p', "Publish a container's port(s) to the host");
    f.boolean("publish-all", 'P', "Publish all exposed ports to random ports");
    f.string("pull", 0, "missing",
             run ? "Pull image before running (\"always\", \"missing\", \"never\")"
                 : "Pull image before creating (\"always\", \"|missing\", \"never\")");
    f.boolean("quiet", 'q', "Suppress the pull output");
    f.boolean("read-only", 0, "Mount the container's root filesystem as read only");
    f.string("restart", 0, "no", "Restart policy to apply when a container exits");
    f.boolean("rm", 0,
              "Automatically remove the container and its associated anonymous volumes when it "
              "exits");
    f.string("runtime", 0, "", "Runtime to use for this container");
    f.list("security-opt", 0, "Security Options");
    f.string("shm-size", 0, "", "Size of /dev/shm", "bytes");
    if (run) f.boolean("sig-proxy", 0, "Proxy received signals to the process", true);
    f.string("stop-signal", 0, "", "Signal to stop the container");
    f.integer("stop-timeout", 0, 0, "Timeout (in seconds) to stop a container");
    f.list("storage-opt", 0, "Storage driver options for the container");
    f.list("sysctl", 0, "Sysctl options (default map[])", "map");
    f.list("tmpfs", 0, "Mount a tmpfs directory");
    f.boolean("tty", 't', "Allocate a pseudo-TTY");
    f.list("ulimit", 0, "Ulimit options (default [])", "ulimit");
    f.boolean("use-api-socket", 0, "Bind mount Docker API socket and required auth");
    f.string("user", 'u', "", "Username or UID (format: <name|uid>[:<group|gid>])");
    f.string("userns", 0, "", "User namespace to use");
    f.string("uts", 0, "", "UTS namespace to use");
    f.list("volume", 'v', "Bind mount a volume");
    f.string("volume-driver", 0, "", "Optional volume driver for the container");
    f.list("volumes-from", 0, "Mount volumes from the specified container(s)");
    f.string("workdir", 'w', "", "Working directory inside the container");
}

namespace copts {

Error flagError(const Flags& f, std::string_view name, std::string_view value,
                std::string_view why) {
    std::string q = "--" + std::string(name);
    for (auto& d : f.defs())
        if (d.name == name && d.shorthand) q = fmt::format("-{}, --{}", d.shorthand, name);
    return Error{kOptsFlagError,
                 fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, q, why), true};
}

namespace {

// pflag's duration flag: the value in nanoseconds, errors as pflag words them.
Result<int64_t> durationFlag(const Flags& f, std::string_view name) {
    const std::string& v = f.s(name);
    if (!f.changed(name) || v.empty()) return int64_t{0};
    auto ns = parseDurationNs(v);
    if (!ns) return flagError(f, name, v, ns.error().msg);
    return *ns;
}

Result<int64_t> bytesFlag(const Flags& f, std::string_view name, bool allowMinusOne) {
    const std::string& v = f.s(name);
    if (!f.changed(name) || v.empty()) return int64_t{0};
    if (allowMinusOne && v == "-1") return int64_t{-1};
    auto b = parseBytes(v);
    if (!b) return flagError(f, name, v, b.error().msg);
    return *b;
}

// Client-side checks of list flags (pflag runs these as each value is set).
Status validateListFlags(const Flags& f) {
    for (auto& v : f.l("attach")) {
        std::string s = lower(v);
        if (s != "stdin" && s != "stdout" && s != "stderr")
            return flagError(f, "attach", v, "valid streams are STDIN, STDOUT and STDERR");
    }
    for (auto& v : f.l("dns"))
        if (!isIp(trim(v)))
            return flagError(f, "dns", v, "IP address is not correctly formatted: " + v);
    static const std::regex domainRe(
        "^(:?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])\\.)*([A-Za-z0-9]|[A-Za-z0-9]"
        "[A-Za-z0-9\\-]*[A-Za-z0-9]))$");
    for (auto& v : f.l("dns-search")) {
        if (v == ".") continue;
        std::string d = v;
        if (!d.empty() && d.back() == '.') d.pop_back();
        if (d.size() > 255 || !std::regex_match(d, domainRe))
            return flagError(f, "dns-search", v, v + " is not a valid domain");
    }
    static const std::regex ruleRe("^[acb] ([0-9]+|\\*):([0-9]+|\\*) [rwm]{1,3}$");
    for (auto& v : f.l("device-cgroup-rule"))
        if (!std::regex_match(v, ruleRe))
            return flagError(f, "device-cgroup-rule", v,
                             fmt::format("invalid device cgroup format '{}'", v));
    for (auto& v : f.l("label"))
        if (trim(v.substr(0, v.find('='))).empty())
            return flagError(f, "label", v, fmt::format("invalid label '{}': empty name", v));
    for (auto& v : f.l("link"))
        if (split(v, ':').size() > 2 || v.empty())
            return flagError(f, "link", v, "bad format for links: " + v);
    for (auto& v : f.l("env"))
        if (auto e = validateEnv(v); !e) return flagError(f, "env", v, e.error().msg);
    for (auto& v : f.l("add-host")) {
        auto sep = v.find('=');
        if (sep == std::string::npos) sep = v.find(':');
        if (sep == std::string::npos || sep == 0)
            return flagError(f, "add-host", v, fmt::format("bad format for add-host: \"{}\"", v));
        std::string ip = v.substr(sep + 1);
        if (ip.size() > 1 && ip.front() == '[' && ip.back() == ']')
            ip = ip.substr(1, ip.size() - 2);
        if (ip != "host-gateway" && !isIp(ip))
            return flagError(f, "add-host", v,
                             fmt::format("invalid IP address in add-host: \"{}\"", ip));
    }
    static const std::set<std::string> sysctlNames = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (auto& v : f.l("sysctl")) {
        std::string k = v.substr(0, v.find('='));
        bool ok =
            v.find('=') != std::string::npos &&
            (sysctlNames.count(k) || k.rfind("fs.mqueue.", 0) == 0 || k.rfind("net.", 0) == 0);
        if (!ok) return flagError(f, "sysctl", v, fmt::format("sysctl '{}' is not allowed", v));
    }
    for (auto& v : f.l("ulimit"))
        if (auto u = parseUlimit(v); !u) return flagError(f, "ulimit", v, u.error().msg);
    for (auto& v : f.l("mount"))
        if (auto m = parseMount(v); !m) return flagError(f, "mount", v, m.error().msg);
    for (auto* name : {"network", "net"})
        for (auto& v : f.l(name))
            if (auto n = parseNetworkOpt(v); !n) return flagError(f, name, v, n.error().msg);
    return {};
}

}  // namespace

Result<FlagValues> parseFlagValues(const Flags& f) {
    TRY(validateListFlags(f));
    FlagValues v;
    v.memory = TRY(bytesFlag(f, "memory", false));
    v.memoryReservation = TRY(bytesFlag(f, "memory-reservation", false));
    v.memorySwap = TRY(bytesFlag(f, "memory-swap", true));
    v.shmSize = TRY(bytesFlag(f, "shm-size", false));
    v.ioMaxBandwidth = TRY(bytesFlag(f, "io-maxbandwidth", false));
    (void)TRY(bytesFlag(f, "kernel-memory", false));
    if (f.changed("cpus") && !f.s("cpus").empty()) {
        auto n = parseNanoCpus(f.s("cpus"));
        if (!n) return flagError(f, "cpus", f.s("cpus"), n.error().msg);
        v.nanoCpus = *n;
    }
    v.healthInterval = TRY(durationFlag(f, "health-interval"));
    v.healthTimeout = TRY(durationFlag(f, "health-timeout"));
    v.healthStartPeriod = TRY(durationFlag(f, "health-start-period"));
    v.healthStartInterval = TRY(durationFlag(f, "health-start-interval"));
    if (f.u("blkio-weight") > 65535)
        return flagError(f, "blkio-weight", std::to_string(f.u("blkio-weight")),
                         fmt::format("strconv.ParseUint: parsing \"{}\": value out of range",
                                     f.u("blkio-weight")));
    return v;
}

}  // namespace copts

}  // namespace berth::cli
