// `features`: a static description of the runtime, plus the few parts that depend on the
// libseccomp this binary runs with (architectures, filter flags, its version).
#include "runtime/features.h"

#include <seccomp.h>

#include <cctype>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace berth::features {

namespace {

using OJson = nlohmann::ordered_json;

// runc's list: the options the mount code turns into flags or propagation rather than passing
// them on to the filesystem as data.
const char* const kMountOptions[] = {"acl",          "async",       "atime",          "bind",
                                     "defaults",     "dev",         "diratime",       "dirsync",
                                     "exec",         "iversion",    "lazytime",       "loud",
                                     "mand",         "noacl",       "noatime",        "nodev",
                                     "nodiratime",   "noexec",      "noiversion",     "nolazytime",
                                     "nomand",       "norelatime",  "nostrictatime",  "nosuid",
                                     "nosymfollow",  "private",     "ratime",         "rbind",
                                     "rdev",         "rdiratime",   "relatime",       "remount",
                                     "rexec",        "rnoatime",    "rnodev",         "rnodiratime",
                                     "rnoexec",      "rnorelatime", "rnostrictatime", "rnosuid",
                                     "rnosymfollow", "ro",          "rprivate",       "rrelatime",
                                     "rro",          "rrw",         "rshared",        "rslave",
                                     "rstrictatime", "rsuid",       "rsymfollow",     "runbindable",
                                     "rw",           "shared",      "silent",         "slave",
                                     "strictatime",  "suid",        "symfollow",      "sync",
                                     "tmpcopyup",    "unbindable",  "idmap",          "ridmap"};

const char* const kArchs[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64"};

// Seccomp filter flags and the libseccomp API level each needs (seccomp_api_get(3)).
struct Flag {
    const char* name;
    unsigned apiLevel;
};
const Flag kFlags[] = {{"SECCOMP_FILTER_FLAG_TSYNC", 2},
                       {"SECCOMP_FILTER_FLAG_LOG", 3},
                       {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4},
                       {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 7}};

// Only architectures the linked libseccomp can resolve ("SCMP_ARCH_X86_64" -> "x86_64").
OJson seccompArchs() {
    OJson out = OJson::array();
    for (const char* a : kArchs) {
        std::string name = std::string(a).substr(sizeof("SCMP_ARCH_") - 1);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (seccomp_arch_resolve_name(name.c_str()) != 0) out.push_back(a);
    }
    return out;
}

OJson seccompSection() {
    OJson s;
    s["enabled"] = true;
    s["actions"] = {"SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
                    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP"};
    s["operators"] = {"SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
                      "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"};
    s["archs"] = seccompArchs();
    OJson known = OJson::array(), supported = OJson::array();
    unsigned api = seccomp_api_get();
    for (const Flag& f : kFlags) {
        known.push_back(f.name);
        if (api >= f.apiLevel) supported.push_back(f.name);
    }
    s["knownFlags"] = known;
    s["supportedFlags"] = supported;
    return s;
}

OJson linuxSection(const std::vector<std::string>& capabilities) {
    OJson l;
    l["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
    l["capabilities"] = capabilities;
    l["cgroup"] = {
        {"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", false}};
    l["seccomp"] = seccompSection();
    l["apparmor"] = {{"enabled", false}};
    l["selinux"] = {{"enabled", false}};
    l["intelRdt"] = {{"enabled", false}};
    l["mountExtensions"] = {{"idmap", {{"enabled", true}}}};
    return l;
}

}  // namespace

const std::vector<std::string>& knownCapabilities() {
    // In capability-number order (linux/capability.h), CAP_CHOWN = 0 .. CAP_CHECKPOINT_RESTORE.
    static const std::vector<std::string> caps = {"CAP_CHOWN",
                                                  "CAP_DAC_OVERRIDE",
                                                  "CAP_DAC_READ_SEARCH",
                                                  "CAP_FOWNER",
                                                  "CAP_FSETID",
                                                  "CAP_KILL",
                                                  "CAP_SETGID",
                                                  "CAP_SETUID",
                                                  "CAP_SETPCAP",
                                                  "CAP_LINUX_IMMUTABLE",
                                                  "CAP_NET_BIND_SERVICE",
                                                  "CAP_NET_BROADCAST",
                                                  "CAP_NET_ADMIN",
                                                  "CAP_NET_RAW",
                                                  "CAP_IPC_LOCK",
                                                  "CAP_IPC_OWNER",
                                                  "CAP_SYS_MODULE",
                                                  "CAP_SYS_RAWIO",
                                                  "CAP_SYS_CHROOT",
                                                  "CAP_SYS_PTRACE",
                                                  "CAP_SYS_PACCT",
                                                  "CAP_SYS_ADMIN",
                                                  "CAP_SYS_BOOT",
                                                  "CAP_SYS_NICE",
                                                  "CAP_SYS_RESOURCE",
                                                  "CAP_SYS_TIME",
                                                  "CAP_SYS_TTY_CONFIG",
                                                  "CAP_MKNOD",
                                                  "CAP_LEASE",
                                                  "CAP_AUDIT_WRITE",
                                                  "CAP_AUDIT_CONTROL",
                                                  "CAP_SETFCAP",
                                                  "CAP_MAC_OVERRIDE",
                                                  "CAP_MAC_ADMIN",
                                                  "CAP_SYSLOG",
                                                  "CAP_WAKE_ALARM",
                                                  "CAP_BLOCK_SUSPEND",
                                                  "CAP_AUDIT_READ",
                                                  "CAP_PERFMON",
                                                  "CAP_BPF",
                                                  "CAP_CHECKPOINT_RESTORE"};
    return caps;
}

std::string featuresJson(const std::vector<std::string>& capabilities) {
    OJson f;
    f["ociVersionMin"] = "1.0.0";
    f["ociVersionMax"] = "1.3.0";
    f["hooks"] = {"prestart",       "createRuntime", "createContainer",
                  "startContainer", "poststart",     "poststop"};
    OJson options = OJson::array();
    for (const char* o : kMountOptions) options.push_back(o);
    f["mountOptions"] = options;
    f["linux"] = linuxSection(capabilities);
    const scmp_version* v = seccomp_version();
    f["annotations"] = {{"io.github.seccomp.libseccomp.version",
                         fmt::format("{}.{}.{}", v->major, v->minor, v->micro)}};
    f["potentiallyUnsafeConfigAnnotations"] = OJson::array();
    return f.dump(4);
}

std::string featuresJson() {
    return featuresJson(knownCapabilities());
}

}  // namespace berth::features
