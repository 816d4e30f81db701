// Mounts of type "cgroup". On a unified host: a cgroup2 mount. On v1/hybrid hosts, as runc
// does: a tmpfs at the destination with one directory per host hierarchy (cpu, memory, ...,
// systemd, unified). With a new cgroup namespace each is a fresh cgroup mount (rooted at the
// namespace); without one, the host directory of our own cgroup is bind-mounted, so the
// container sees only its subtree.
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <map>
#include <set>
#include <sstream>

#include "common/sys.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/rootfs/mount_util.h"
#include "runtime/rootfs/safe_path.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {

namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

using cgroups::ProcCgroup;

std::set<std::string> splitOpts(const std::string& s) {
    std::set<std::string> out;
    std::istringstream in(s);
    for (std::string x; std::getline(in, x, ',');) out.insert(x);
    return out;
}

// The /proc/self/cgroup line of a hierarchy mount: same controllers (v1) or the "0::" line.
const ProcCgroup* findProcCgroup(const std::vector<ProcCgroup>& cgs, const MountInfo& mi) {
    bool v2 = mi.fsType == "cgroup2";
    auto opts = splitOpts(mi.superOptions);
    for (const auto& c : cgs) {
        if (v2 != c.controllers.empty()) continue;
        bool all = true;
        for (const auto& x : c.controllers) all = all && opts.count(x);
        if (all) return &c;
    }
    return nullptr;
}

Status mountHierarchy(int parentfd, const MountInfo& mi, const ProcCgroup& cg, unsigned long flags,
                      const Options& o, const std::string& shown) {
    std::string name = mi.mountPoint.substr(mi.mountPoint.find_last_of('/') + 1);
    if (::mkdirat(parentfd, name.c_str(), 0755) < 0 && errno != EEXIST) {
        return errnoError("mkdir {}/{}", shown, name);
    }
    UniqueFd dir = TRY(sys::openat(parentfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    std::string target = sys::fdPath(dir.get());
    if (o.newCgroupNs) {
        bool v2 = mi.fsType == "cgroup2";
        TRY_CTX(sys::mount(mi.fsType, target, mi.fsType, flags, v2 ? "" : cg.controllerList),
                "{}/{}", shown, name);
    } else {
        // Our cgroup's directory in the host hierarchy (relative to where it is mounted from).
        std::string rel = cg.path;
        if (mi.root != "/" && rel.compare(0, mi.root.size(), mi.root) == 0) {
            rel = rel.substr(mi.root.size());
        }
        std::string host = mi.mountPoint + (rel == "/" ? "" : rel);
        TRY_CTX(sys::mount(host, target, "", MS_BIND), "{}/{}", shown, name);
        UniqueFd top = TRY(sys::openat(parentfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
        TRY(remountBind(top.get(), flags, shown + "/" + name));
    }
    // Co-mounted controllers ("cpu,cpuacct") are also reachable by each name, as on hosts.
    if (name.find(',') != std::string::npos) {
        for (const auto& c : cg.controllers) {
            if (::symlinkat(name.c_str(), parentfd, c.c_str()) < 0 && errno != EEXIST) {
                return errnoError("symlink {}/{}", shown, c);
            }
        }
    }
    return {};
}

}  // namespace

Status mountCgroup(int rootfd, const spec::Mount& m, const MountOptions& mo, const Options& o) {
    unsigned long flags = mo.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    UniqueFd dst = TRY(mkdirAllInRoot(rootfd, m.destination, Kind::Dir));
    struct statfs sf;
    if (::statfs(kCgroupRoot, &sf) < 0) return errnoError("statfs {}", kCgroupRoot);
    if (sf.f_type == CGROUP2_SUPER_MAGIC) {
        if (::mount("cgroup2", sys::fdPath(dst.get()).c_str(), "cgroup2", flags, nullptr) == 0) {
            return {};
        }
        if (o.newCgroupNs || (errno != EPERM && errno != EBUSY)) {
            return errnoError("mount cgroup2 on {}", m.destination);
        }
        // Without a cgroup namespace in a user namespace a fresh cgroup2 mount is refused.
        TRY(sys::mount(kCgroupRoot, sys::fdPath(dst.get()), "", MS_BIND | MS_REC));
        UniqueFd top = TRY(reopenMounted(rootfd, m.destination, dst.get()));
        return remountBind(top.get(), flags, m.destination);
    }

    TRY(sys::mount("tmpfs", sys::fdPath(dst.get()), "tmpfs", flags & ~MS_RDONLY, "mode=755"));
    UniqueFd top = TRY(reopenMounted(rootfd, m.destination, dst.get()));
    auto mounts = TRY(readMountInfo());
    auto cgs = cgroups::parseProcCgroups(TRY(sys::readFile("/proc/self/cgroup")));
    std::set<std::string> done;
    for (const auto& mi : mounts) {
        if (mi.fsType != "cgroup" && mi.fsType != "cgroup2") continue;
        if (mi.mountPoint.rfind(std::string(kCgroupRoot) + "/", 0) != 0) continue;
        if (mi.mountPoint.find('/', sizeof("/sys/fs/cgroup")) != std::string::npos) continue;
        if (!done.insert(mi.mountPoint).second) continue;
        const ProcCgroup* cg = findProcCgroup(cgs, mi);
        if (!cg) continue;  // a hierarchy we are not a member of: nothing to show
        TRY(mountHierarchy(top.get(), mi, *cg, flags, o, m.destination));
    }
    if (flags & MS_RDONLY) TRY(remountBind(top.get(), flags, m.destination));
    return {};
}

}  // namespace berth::rootfs
