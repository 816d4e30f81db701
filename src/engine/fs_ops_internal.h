// Shared by fs_ops*.cpp only: the container's filesystem view and path resolution in it.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "engine/fs_ops.h"

namespace berth::engine::fsops {

// Runs fn(rootFd) on an O_PATH fd of rootfsDir. With mounts, on a helper thread in a private
// mount namespace where each mount is bound at its destination (read-only ones remounted
// read-only); the namespace goes away with the thread.
Status withRoot(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                const std::function<Status(int rootFd)>& fn);

// "/" + p cleaned lexically, keeping a trailing "/." or "/" of p (docker's
// PreserveTrailingDotOrSeparator): "etc/." -> "/etc/.", "a//b/" -> "/a/b/", "" -> "/".
std::string absPath(const std::string& p);
// Go's filepath.Split: "/etc/passwd" -> {"/etc/", "passwd"}, "/etc/" -> {"/etc/", ""}.
std::pair<std::string, std::string> splitPath(const std::string& abs);
// Go's filepath.Base: "/etc/" -> "etc", "/etc/." -> ".", "/" -> "/".
std::string baseName(const std::string& abs);
// Lexically cleaned absolute path ("/a/../b/" -> "/b").
std::string cleanAbs(const std::string& p);

// docker's FollowSymlinkInScope: every symlink of path resolved inside the root (absolute
// targets restart at the root, ".." stops there); components that do not exist are kept as
// they are. Returns a clean absolute container path.
Result<std::string> resolveInScope(int rootFd, const std::string& path);
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) of an absolute container path.
Result<UniqueFd> openInRoot(int rootFd, const std::string& path, int flags);

// docker's answer for a path that is not there.
Error notFound(const std::string& path);

}  // namespace berth::engine::fsops
