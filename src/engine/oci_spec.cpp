// A container's record -> the OCI bundle's config.json, with docker's defaults (mounts, masked
// paths, capabilities, seccomp) and HostConfig's settings.
#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>

#include "common/sys.h"
#include "engine/internal.h"
#include "engine/namespace_modes.h"
#include "engine/security.h"
#include "image/build/users.h"

namespace berth::engine {

namespace {

Json mount(const std::string& dst, const std::string& type, const std::string& src,
           std::vector<std::string> opts) {
    return Json{{"destination", dst}, {"type", type}, {"source", src}, {"options", opts}};
}

int64_t num(const Json& o, const char* k) {
    const Json& v = o.value(k, Json());
    return v.is_number() ? v.get<int64_t>() : 0;
}

const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Json resources(const Json& hc) {
    Json r = Json::object();
    Json devices = Json::array({{{"allow", false}, {"access", "rwm"}}});
    if (hc.value("Privileged", false)) {
        devices = Json::array({{{"allow", true}, {"access", "rwm"}}});
    } else {
        // docker's default allow list: the standard char devices, pts, and mknod of any.
        auto dev = [](char type, int64_t major, int64_t minor, const char* access) {
            Json d = {{"allow", true}, {"type", std::string(1, type)}, {"access", access}};
            if (major >= 0) d["major"] = major;
            if (minor >= 0) d["minor"] = minor;
            return d;
        };
        devices.push_back(dev('c', -1, -1, "m"));
        devices.push_back(dev('b', -1, -1, "m"));
        for (auto [ma, mi] : std::vector<std::pair<int, int>>{
                 {1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}})
            devices.push_back(dev('c', ma, mi, "rwm"));
        devices.push_back(dev('c', 136, -1, "rwm"));
        devices.push_back(dev('c', 10, 200, "rwm"));
    }
    r["devices"] = devices;
    Json mem = Json::object();
    if (num(hc, "Memory") > 0) mem["limit"] = num(hc, "Memory");
    if (num(hc, "MemorySwap") != 0)
        mem["swap"] = num(hc, "MemorySwap");
    else if (num(hc, "Memory") > 0)
        mem["swap"] = 2 * num(hc, "Memory");  // docker's default
    if (num(hc, "MemoryReservation") > 0) mem["reservation"] = num(hc, "MemoryReservation");
    if (hc.value("OomKillDisable", false)) mem["disableOOMKiller"] = true;
    if (!mem.empty()) r["memory"] = mem;
    Json cpu = Json::object();
    if (num(hc, "CpuShares") > 0) cpu["shares"] = num(hc, "CpuShares");
    if (num(hc, "NanoCpus") > 0) {
        cpu["period"] = 100000;
        cpu["quota"] = num(hc, "NanoCpus") * 100000 / 1000000000;
    }
    if (num(hc, "CpuQuota") != 0) cpu["quota"] = num(hc, "CpuQuota");
    if (num(hc, "CpuPeriod") != 0) cpu["period"] = num(hc, "CpuPeriod");
    if (!hc.value("CpusetCpus", "").empty()) cpu["cpus"] = hc["CpusetCpus"];
    if (!hc.value("CpusetMems", "").empty()) cpu["mems"] = hc["CpusetMems"];
    if (!cpu.empty()) r["cpu"] = cpu;
    int64_t pids = num(hc, "PidsLimit");
    if (pids > 0) r["pids"] = {{"limit", pids}};
    if (num(hc, "BlkioWeight") > 0) r["blockIO"] = {{"weight", num(hc, "BlkioWeight")}};
    return r;
}

Json rlimits(const Json& hc) {
    // docker passes its own RLIMIT_NOFILE (1048576 normally); never above our hard limit here.
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    std::map<std::string, std::pair<uint64_t, uint64_t>> lim;
    lim["RLIMIT_NOFILE"] = {nofile.rlim_max, nofile.rlim_max};
    for (const auto& u : hc.value("Ulimits", Json::array())) {
        std::string n = u.value("Name", "");
        for (auto& ch : n) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        lim["RLIMIT_" + n] = {u.value("Soft", uint64_t{0}), u.value("Hard", uint64_t{0})};
    }
    Json out = Json::array();
    for (const auto& [k, v] : lim)
        out.push_back({{"type", k}, {"soft", v.first}, {"hard", v.second}});
    return out;
}

}  // namespace

Json ociRlimits(const Json& hostConfig) {
    return rlimits(hostConfig);
}

Json ociResources(const Json& hostConfig) {
    Json r = resources(hostConfig);
    r.erase("devices");
    return r;
}

Result<std::string> ociSpec(const Container& c, const SpecInputs& in) {
    const Json& cfg = c.config;
    const Json& hc = c.hostConfig;
    bool privileged = hc.value("Privileged", false);

    // User through the image's /etc/passwd, inside the rootfs.
    auto rootFd = TRY_CTX(sys::open(in.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), "rootfs");
    std::string userSpec = cfg.value("User", "");
    auto user = TRY(image::build::processUser(rootFd.get(), userSpec.empty() ? "0" : userSpec,
                                              stringList(hc.value("GroupAdd", Json()))));

    std::vector<std::string> args;
    if (!in.initPath.empty()) {
        args = {"/sbin/docker-init", "--"};
    }
    args.push_back(c.path);
    args.insert(args.end(), c.args.begin(), c.args.end());

    std::vector<std::string> env = stringList(cfg.value("Env", Json()));
    bool hasPath = std::any_of(env.begin(), env.end(),
                               [](const std::string& e) { return e.rfind("PATH=", 0) == 0; });
    if (!hasPath) env.insert(env.begin(), kDefaultPath);
    env.insert(env.begin() + 1, "HOSTNAME=" + cfg.value("Hostname", ""));
    bool tty = cfg.value("Tty", false);
    if (tty && std::none_of(env.begin(), env.end(),
                            [](const std::string& e) { return e.rfind("TERM=", 0) == 0; }))
        env.push_back("TERM=xterm");
    bool hasHome = std::any_of(env.begin(), env.end(),
                               [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
    if (!hasHome) env.push_back("HOME=" + (user.home.empty() ? std::string("/") : user.home));

    auto caps = TRY(capabilities(stringList(hc.value("CapAdd", Json())),
                                 stringList(hc.value("CapDrop", Json())), privileged));
    SecurityOpts so;
    TRY(parseSecurityOpts(stringList(hc.value("SecurityOpt", Json())), so));

    Json p;
    p["terminal"] = tty;
    if (tty) {
        auto cs = hc.value("ConsoleSize", Json::array());
        if (cs.is_array() && cs.size() == 2 && cs[0].is_number() && cs[1].is_number() &&
            cs[0].get<int>() > 0)
            p["consoleSize"] = {{"height", cs[0]}, {"width", cs[1]}};
    }
    Json u = {{"uid", user.uid}, {"gid", user.gid}, {"umask", 022}};
    if (!user.additionalGids.empty()) u["additionalGids"] = user.additionalGids;
    p["user"] = u;
    p["args"] = args;
    p["env"] = env;
    std::string wd = cfg.value("WorkingDir", "");
    p["cwd"] = wd.empty() ? "/" : wd;
    std::vector<std::string> none;
    bool root = user.uid == 0;
    p["capabilities"] = {
        {"bounding", caps}, {"effective", root ? caps : none}, {"permitted", root ? caps : none}};
    p["noNewPrivileges"] = so.noNewPrivileges.value_or(false);
    p["rlimits"] = rlimits(hc);
    if (hc.contains("OomScoreAdj") && num(hc, "OomScoreAdj") != 0)
        p["oomScoreAdj"] = num(hc, "OomScoreAdj");

    // Mounts: docker's defaults, then the sandbox files, tmpfs, volumes and binds (later
    // entries win for the same destination, so the user's replace the defaults).
    std::string shmSize = std::to_string(num(hc, "ShmSize") > 0 ? num(hc, "ShmSize") : 67108864);
    std::vector<Json> mounts;
    mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    mounts.push_back(
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    mounts.push_back(
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", privileged ? "rw" : "ro"}));
    mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                           {privileged ? "rw" : "ro", "nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    // docker: IpcMode none has no /dev/shm, host shares the host's. (container:<x> shares
    // x's there too, a tmpfs docker keeps on the host; x's is in x's mount namespace here,
    // which a bind cannot reach: the joiner gets its own.)
    std::string ipcMode = hc.value("IpcMode", "");
    if (ipcMode == "host") {
        mounts.push_back(mount("/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"}));
    } else if (ipcMode != "none") {
        mounts.push_back(mount("/dev/shm", "tmpfs", "shm",
                               {"nosuid", "noexec", "nodev", "mode=1777", "size=" + shmSize}));
    }
    bool ro = hc.value("ReadonlyRootfs", false);
    auto fileBind = [&](const std::string& src, const char* dst) {
        if (!src.empty())
            mounts.push_back(mount(dst, "bind", src, {"rbind", "rprivate", ro ? "ro" : "rw"}));
    };
    fileBind(in.resolvConfPath, "/etc/resolv.conf");
    fileBind(in.hostnamePath, "/etc/hostname");
    fileBind(in.hostsPath, "/etc/hosts");
    if (hc.contains("Tmpfs") && hc["Tmpfs"].is_object()) {
        for (auto& [dst, optv] : hc["Tmpfs"].items()) {
            std::vector<std::string> opts = {"nosuid", "nodev", "noexec"};
            std::string o = optv.is_string() ? optv.get<std::string>() : "";
            size_t i = 0;
            while (!o.empty() && i <= o.size()) {
                size_t e = o.find(',', i);
                std::string part = o.substr(i, e == std::string::npos ? std::string::npos : e - i);
                if (part == "exec")
                    opts.erase(std::remove(opts.begin(), opts.end(), "noexec"), opts.end());
                else if (part == "dev")
                    opts.erase(std::remove(opts.begin(), opts.end(), "nodev"), opts.end());
                else if (part == "suid")
                    opts.erase(std::remove(opts.begin(), opts.end(), "nosuid"), opts.end());
                else if (!part.empty())
                    opts.push_back(part);
                if (e == std::string::npos) break;
                i = e + 1;
            }
            mounts.push_back(mount(dst, "tmpfs", "tmpfs", opts));
        }
    }
    for (const auto& m : in.extraMounts) mounts.push_back(m);
    if (!in.initPath.empty())
        mounts.push_back(
            mount("/sbin/docker-init", "bind", in.initPath, {"rbind", "ro", "rprivate"}));
    // Later wins: drop earlier entries with the same destination.
    Json ms = Json::array();
    for (size_t i = 0; i < mounts.size(); i++) {
        bool shadowed = false;
        for (size_t j = i + 1; j < mounts.size(); j++)
            if (mounts[j]["destination"] == mounts[i]["destination"]) shadowed = true;
        if (!shadowed) ms.push_back(mounts[i]);
    }

    Json ns = Json::array();
    TRY(appendNamespaceEntries(hc, in.joinPids, ns));
    ns.push_back({{"type", "mount"}});
    if (!in.netnsPath.empty()) ns.push_back({{"type", "network"}, {"path", in.netnsPath}});
    // docker: private cgroupns by default only on cgroup v2; host here (hybrid) unless asked.
    if (hc.value("CgroupnsMode", "") == "private") ns.push_back({{"type", "cgroup"}});

    Json linux;
    linux["namespaces"] = ns;
    linux["cgroupsPath"] = in.cgroupsPath;
    linux["resources"] = resources(hc);
    if (hc.contains("Sysctls") && hc["Sysctls"].is_object() && !hc["Sysctls"].empty())
        linux["sysctl"] = hc["Sysctls"];
    Json devices = Json::array();
    for (const auto& d : hc.value("Devices", Json::array())) {
        std::string host = d.value("PathOnHost", ""), inside = d.value("PathInContainer", "");
        auto dm = TRY(deviceMapping(host, inside.empty() ? host : inside,
                                    d.value("CgroupPermissions", "rwm")));
        for (const auto& dev : dm.at("devices")) devices.push_back(dev);
        for (const auto& rule : dm.at("rules")) linux["resources"]["devices"].push_back(rule);
    }
    if (!devices.empty()) linux["devices"] = devices;
    if (!privileged && !so.systemPathsUnconfined) {
        linux["maskedPaths"] = {
            "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
            "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
            "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap"};
        linux["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                  "/proc/sysrq-trigger"};
    }
    if (!privileged) {
        auto sec = TRY(seccompProfile(so.seccomp, caps));
        if (sec) linux["seccomp"] = Json::parse(*sec);
    }

    Json spec;
    spec["ociVersion"] = "1.2.0";
    spec["process"] = p;
    spec["root"] = {{"path", in.rootfs}, {"readonly", ro}};
    // In the host's uts namespace or another container's, the name is theirs, never set here.
    if (ownsUtsNamespace(hc)) {
        spec["hostname"] = cfg.value("Hostname", "");
        if (!cfg.value("Domainname", "").empty()) spec["domainname"] = cfg["Domainname"];
    }
    spec["mounts"] = ms;
    spec["linux"] = linux;
    return spec.dump();
}

}  // namespace berth::engine
