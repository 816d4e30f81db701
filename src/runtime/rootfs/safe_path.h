// Path resolution confined to the rootfs. Every mount destination, device node and masked path
// the container's image could influence goes through here: openat2(RESOLVE_IN_ROOT) keeps
// symlinks and ".." inside the root, and callers act on the returned fd through
// /proc/self/fd/N rather than on a string path the image controls (CVE-2021-30465 class).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::rootfs {

// Lexically cleaned path relative to the root: "/a/./b/../c/" -> "a/c", "/" -> "".
// ".." never climbs above the root. Relative destinations (runtime-spec 1.1) are relative to /.
std::string cleanRelative(std::string_view path);
std::vector<std::string> splitPath(std::string_view cleaned);

// Opens `path` inside the root; `flags` O_PATH unless told. Symlinks are followed, but only
// inside the root; magic links (/proc/self/...) are refused.
Result<UniqueFd> openInRoot(int rootfd, std::string_view path, int flags = 0);

enum class Kind { Dir, File };

// Resolves `path` inside the root and returns an O_PATH fd to it, creating missing components
// as directories and the last one as `last` (an empty regular file for File). An existing
// target of the other kind is an error (a directory where a file is needed or the reverse).
Result<UniqueFd> mkdirAllInRoot(int rootfd, std::string_view path, Kind last, mode_t mode = 0755);

// Opens `path` inside the root again after something was mounted on it and checks that the
// new fd is on a different mount than `before` (so we act on the new mount, not under it).
Result<UniqueFd> reopenMounted(int rootfd, std::string_view path, int before);

// The mount id of an fd (statx STATX_MNT_ID).
Result<uint64_t> mountId(int fd);

}  // namespace berth::rootfs
