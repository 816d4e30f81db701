// Small mount helpers shared by the rootfs steps: fd-based remounts that keep locked flags,
// recursive attributes, and /proc/self/mountinfo parsing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::rootfs {

// MS_BIND|MS_REMOUNT|flags on the mount whose root `fd` is. In a user namespace the kernel
// refuses to clear flags locked from the source (nodev, nosuid, noexec, ro, atime): on EPERM
// we retry with the mount's current locked flags added, as runc does.
Status remountBind(int fd, unsigned long flags, const std::string& shown);

// mount_setattr(fd, AT_RECURSIVE) for the r* options (rro, rnosuid, ...).
Status setRecursiveAttrs(int fd, uint64_t set, uint64_t clr, const std::string& shown);

struct MountInfo {
    int id = 0, parent = 0;
    std::string root, mountPoint, options, optional, fsType, source, superOptions;
};

// Parses /proc/self/mountinfo (octal escapes in paths decoded).
Result<std::vector<MountInfo>> readMountInfo();

// The mount that contains `path` (longest mount point prefix; the topmost when stacked).
const MountInfo* mountContaining(const std::vector<MountInfo>& mounts, const std::string& path);

// Makes the mount containing the rootfs's parent private when it is shared: pivot_root refuses
// shared parents, and mounts made in the container must not propagate to the host.
Status makeParentMountPrivate(const std::string& rootfs);

}  // namespace berth::rootfs
