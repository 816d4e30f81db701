// Internal steps of rootfs::prepare/finish, split by facility (one .cpp each) and exposed here
// so the tests can drive them one at a time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/rootfs.h"
#include "runtime/rootfs/mount_options.h"
#include "runtime/spec.h"

namespace berth::rootfs {

// mounts.cpp: one config mount, destination resolved inside the root.
Status mountEntry(int rootfd, const spec::Mount& m, const Options& o);

// cgroup_mount.cpp: a mount of type "cgroup" (cgroup2, or tmpfs + one mount per v1 hierarchy).
Status mountCgroup(int rootfd, const spec::Mount& m, const MountOptions& mo, const Options& o);

// tmpcopyup.cpp: copies the tree under `src` (the directory before the tmpfs covered it) into
// `dst`, keeping modes, owners and symlinks. Both are directory fds.
Status copyTree(int src, int dst, const std::string& shown);

// devices.cpp: default devices, linux.devices, /dev symlinks and the /dev/console placeholder.
Status setupDev(int rootfd, const spec::Spec& s, const Options& o);
// One device node (replacing what is there); bound from the host when `bindHost`.
Status createDevice(int rootfd, const spec::Device& d, bool bindHost);

// finish.cpp pieces; all resolve inside `rootfd` (the new root after enter()).
Status remountRootReadonly();
Status maskPaths(int rootfd, const std::vector<std::string>& paths);
Status readonlyPaths(int rootfd, const std::vector<std::string>& paths);

// sysctl.cpp: writes key=value under a /proc/sys directory fd; the file must be reached
// without symlinks or mount crossings and be on procfs.
Status writeSysctlAt(int procSysFd, const std::string& key, const std::string& value);
Status writeSysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace berth::rootfs
