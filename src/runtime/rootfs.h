// The container's filesystem view, built inside its new mount namespace by the init process:
// propagation, the rootfs bind, config mounts (resolved safely inside the rootfs), /dev
// (default devices, linux.devices, /dev/pts, /dev/shm, /dev/mqueue, symlinks), then
// pivot_root (or MS_MOVE+chroot), readonly root, masked and readonly paths.
#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace berth::rootfs {

struct Options {
    std::string rootfs;       // absolute path of the rootfs on the host
    bool noPivot = false;     // --no-pivot: MS_MOVE + chroot
    bool inUserNs = false;    // new user namespace: bind devices instead of mknod
    bool newCgroupNs = false; // mount cgroup fs from inside a new cgroup namespace
};

// Step 1 (before hooks): propagation, rootfs bind mount, config mounts, /dev. Does not pivot.
// Everything is below the rootfs; mount destinations never follow a symlink out of it.
Status prepare(const spec::Spec& s, const Options& o);

// Step 2: pivot_root into the rootfs (or MS_MOVE + chroot when pivot_root cannot work:
// ramfs/initramfs root or o.noPivot), then chdir("/").
Status enter(const Options& o);

// Step 3 (after pivot, before exec), in this order: linux.rootfsPropagation applied to the new
// "/", readonly root remount, sysctls (written only to files verified to be on procfs; before
// readonlyPaths, which usually cover /proc/sys), readonly paths, masked paths. prepare() leaves
// an empty /dev/console file (unless /dev is a bind mount) so the console code can bind the pty
// slave over it.
Status finish(const spec::Spec& s, const Options& o);

// Sysctl keys allowed in a container and the namespace they need (net.*, kernel.shm*, ...).
Status validateSysctls(const spec::Spec& s);

}  // namespace berth::rootfs
