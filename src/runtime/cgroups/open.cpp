// open(): the one place that picks the implementation for the host's layout.
#include "common/log.h"
#include "common/sys.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups {

Result<std::unique_ptr<Manager>> open(Mode mode, const Options& o) {
    if (o.systemd) {
        if (!sys::isDir("/run/systemd/system")) {
            return makeError(ENOENT,
                             "systemd cgroup driver requested but systemd is not running (no "
                             "/run/systemd/system)");
        }
        // No D-Bus driver yet: the systemd-style path is created directly in cgroupfs.
        log::warn("systemd cgroup driver is not implemented; using cgroupfs for {}", o.path);
    }
    if (o.path.empty() || o.path.front() == '/' || o.path.find("..") != std::string::npos) {
        return invalid("cgroup path {:?}: expected a relative path without \"..\"", o.path);
    }
    MountTable mounts;
    if (o.mounts) {
        mounts = *o.mounts;
    } else {
        mounts = TRY_CTX(loadMountTable(o.root), "cgroup mounts under {}", o.root);
    }
    switch (mode) {
        case Mode::V1:
            if (mounts.v1.empty()) {
                return makeError(ENOENT, "no cgroup v1 hierarchy mounted under {}", o.root);
            }
            return std::unique_ptr<Manager>(new V1Manager(mounts.v1, o.path));
        case Mode::V2:
            return std::unique_ptr<Manager>(
                new V2Manager(mounts.unified.empty() ? o.root : mounts.unified, o.path));
        case Mode::Hybrid:
            if (mounts.v1.empty()) {
                return makeError(ENOENT, "no cgroup v1 hierarchy mounted under {}", o.root);
            }
            return std::unique_ptr<Manager>(new HybridManager(
                mounts.v1, mounts.unified.empty() ? o.root + "/unified" : mounts.unified, o.path));
    }
    return invalid("unknown cgroup mode");
}

}  // namespace berth::cgroups
