// linux.sysctl: which keys a container may set (they must belong to a namespace it owns) and
// writing them. Writes go only to files reached from a /proc/sys fd without symlinks, magic
// links or mount crossings and verified to be on procfs, so an image cannot redirect a sysctl
// write to a host file (CVE-2025-52881 class).
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "common/sys.h"
#include "runtime/rootfs.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {

namespace {

constexpr std::array<std::string_view, 8> kIpcSysctls = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

bool startsWith(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

// "net/ipv4/ip_forward" is accepted too (needed for interface names containing dots).
std::string dotted(std::string key) {
    for (char& c : key) {
        if (c == '/') c = '.';
    }
    return key;
}

bool sameNetNs(const std::string& path) {
    struct stat a, b;
    return ::stat(path.c_str(), &a) == 0 && ::stat("/proc/self/ns/net", &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

Status isProcfs(int fd, const std::string& what) {
    struct statfs sf;
    if (::fstatfs(fd, &sf) < 0) return errnoError("statfs {}", what);
    if (sf.f_type != PROC_SUPER_MAGIC) return makeError(EXDEV, "{} is not on procfs", what);
    return {};
}

}  // namespace

Status validateSysctls(const spec::Spec& s) {
    if (!s.linux) return {};
    for (const auto& [rawKey, value] : s.linux->sysctl) {
        std::string key = dotted(rawKey);
        bool ipc = std::find(kIpcSysctls.begin(), kIpcSysctls.end(), key) != kIpcSysctls.end() ||
                   startsWith(key, "fs.mqueue.");
        if (ipc) {
            if (!s.hasNamespace("ipc")) {
                return invalid("sysctl \"{}\" is not allowed in the host's ipc namespace", rawKey);
            }
            continue;
        }
        if (startsWith(key, "net.")) {
            const spec::Namespace* ns = s.findNamespace("network");
            if (!ns) {
                return invalid("sysctl \"{}\" is not allowed in the host's network namespace",
                               rawKey);
            }
            if (!ns->path.empty() && sameNetNs(ns->path)) {
                return invalid("sysctl \"{}\" is not allowed: {} is the host's network namespace",
                               rawKey, ns->path);
            }
            continue;
        }
        if (key == "kernel.hostname" || key == "kernel.domainname") {
            if (!s.hasNamespace("uts")) {
                return invalid("sysctl \"{}\" is not allowed in the host's uts namespace", rawKey);
            }
            bool host = key == "kernel.hostname";
            if (!(host ? s.hostname : s.domainname).empty()) {
                return invalid("sysctl \"{}\" conflicts with the \"{}\" field of the config",
                               rawKey, host ? "hostname" : "domainname");
            }
            continue;
        }
        return invalid("sysctl \"{}\" is not in a separate kernel namespace", rawKey);
    }
    return {};
}

Status writeSysctlAt(int procSysFd, const std::string& key, const std::string& value) {
    std::string rel = key;
    if (rel.find('/') == std::string::npos) {
        for (char& c : rel) {
            if (c == '.') c = '/';
        }
    }
    std::string shown = "/proc/sys/" + rel;
    auto ctx = [&](Error e) { return e.wrap(fmt::format("sysctl {}={}", key, value)); };
    auto fd = sys::openat2(
        procSysFd, rel, O_WRONLY,
        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
    if (!fd) return ctx(makeError(fd.error().code, "open {}", shown));
    if (auto st = isProcfs(fd->get(), shown); !st) return ctx(std::move(st).error());
    if (auto st = sys::writeFd(fd->get(), value); !st) {
        return ctx(std::move(st).error().wrap(shown));
    }
    return {};
}

Status writeSysctls(const std::map<std::string, std::string>& sysctls) {
    if (sysctls.empty()) return {};
    UniqueFd procSys =
        TRY_CTX(sys::open("/proc/sys", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), "sysctl");
    TRY_CTX(isProcfs(procSys.get(), "/proc/sys"), "sysctl");
    for (const auto& [k, v] : sysctls) TRY(writeSysctlAt(procSys.get(), k, v));
    return {};
}

}  // namespace berth::rootfs
