// The config.json `berth-runtime spec` writes: runc's template, key for key, so tools and
// people used to `runc spec` find what they expect.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/spec.h"

namespace berth::spec {

namespace {

using OJson = nlohmann::ordered_json;

OJson mount(const char* dst, const char* type, const char* src,
            std::vector<std::string> options = {}) {
    OJson m;
    m["destination"] = dst;
    m["type"] = type;
    m["source"] = src;
    if (!options.empty()) m["options"] = options;
    return m;
}

OJson process() {
    const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    OJson p;
    p["terminal"] = true;
    p["user"] = {{"uid", 0}, {"gid", 0}};
    p["args"] = {"sh"};
    p["env"] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
    p["cwd"] = "/";
    p["capabilities"] = {
        {"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}};
    p["rlimits"] = OJson::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}});
    p["noNewPrivileges"] = true;
    return p;
}

OJson mounts(bool rootless) {
    // Inside a user namespace gid 5 need not be mapped and sysfs cannot be mounted fresh without
    // a network namespace of our own, so rootless bind-mounts the host's /sys instead.
    std::vector<std::string> devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                       "mode=0620"};
    if (!rootless) devpts.push_back("gid=5");
    OJson m = OJson::array();
    m.push_back(mount("/proc", "proc", "proc"));
    m.push_back(
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    m.push_back(mount("/dev/pts", "devpts", "devpts", devpts));
    m.push_back(mount("/dev/shm", "tmpfs", "shm",
                      {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
    m.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    if (rootless) {
        m.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    } else {
        m.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
        // A cgroup v1 hierarchy cannot be mounted from an unprivileged user namespace.
        m.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                          {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    }
    return m;
}

OJson linuxSection(bool rootless) {
    OJson l;
    std::vector<std::string> namespaces = {"pid", "network", "ipc", "uts", "mount"};
    if (rootless) {
        // Map only ourselves; without CAP_SETUID on the host no other id can be mapped.
        l["uidMappings"] = OJson::array(
            {{{"containerID", 0}, {"hostID", static_cast<uint32_t>(geteuid())}, {"size", 1}}});
        l["gidMappings"] = OJson::array(
            {{{"containerID", 0}, {"hostID", static_cast<uint32_t>(getegid())}, {"size", 1}}});
        namespaces = {"pid", "ipc", "uts", "mount", "user"};
    } else {
        l["resources"] = {{"devices", OJson::array({{{"allow", false}, {"access", "rwm"}}})}};
    }
    OJson ns = OJson::array();
    for (const auto& t : namespaces) ns.push_back({{"type", t}});
    l["namespaces"] = ns;
    l["maskedPaths"] = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                        "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                        "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                        "/proc/scsi"};
    l["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    return l;
}

}  // namespace

std::string defaultSpecJson(bool rootless) {
    OJson s;
    s["ociVersion"] = "1.3.0";
    s["process"] = process();
    s["root"] = {{"path", "rootfs"}, {"readonly", true}};
    s["hostname"] = "berth";
    s["mounts"] = mounts(rootless);
    s["linux"] = linuxSection(rootless);
    return s.dump(1, '\t');  // runc indents with one tab
}

}  // namespace berth::spec
