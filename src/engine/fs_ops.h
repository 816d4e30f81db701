// docker cp (stat, get, put), diff and export on a container's filesystem as the host sees
// it: the merged overlay mounted at rootfsDir, plus the container's volumes and binds, which
// live in the container's own mount namespace and so are not visible through rootfsDir.
//
// Paths are the container's: every lookup is resolved inside the root (symlinks included,
// openat2 RESOLVE_IN_ROOT), never escaping to the host. When `mounts` is not empty the work
// runs on a helper thread that unshares its mount namespace and binds each mount's source at
// its destination under rootfsDir (as docker does for cp), so the view matches the
// container's; that needs CAP_SYS_ADMIN. Missing mount points are created in the rootfs, as the
// runtime would at start. The rootfs must be mounted (the caller mounts a stopped
// container's overlay first). Also the writable layer's own facts: its init layer and size.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"

namespace berth::engine {

struct MountMap {
    std::string destination;  // in the container, absolute
    std::string source;       // on the host (volume _data dir, bind source)
    bool readOnly = false;
};

// ContainerPathStat JSON {"name","size","mode","mtime","linkTarget"}, for the
// X-Docker-Container-Path-Stat header (the caller base64-encodes it). mode is Go's
// os.FileMode (type bits: dir 1<<31, symlink 1<<27, device 1<<26, pipe 1<<25, socket 1<<24,
// setuid 1<<23, setgid 1<<22, char device 1<<21, sticky 1<<20; permissions 0777). The last
// element is not followed; linkTarget is then the fully resolved path in the container.
// Missing: ENOENT "Could not find the file <path>" (docker adds " in container <name>").
Result<std::string> pathStat(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                             const std::string& path);

// An uncompressed tar of path, named as docker names it: the top entry is the path's base
// name ("etc/", "etc/passwd"); "dir/." gives the content under "./"; "/" gives "/", "/etc/"...
// A final symlink is archived as the link itself unless the path ends in "/".
Status getArchive(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                  const std::string& path, const WriteFn& out);

struct PutOptions {
    // docker cp's default: an existing directory is never replaced by a non-directory, nor
    // the other way round (an error instead).
    bool noOverwriteDirNonDir = false;
    // copyUIDGID: files get the container user's uid/gid (Config.User, looked up in the
    // container's /etc/passwd); empty user: the owners in the tar are kept.
    bool copyUidGid = false;
    std::string user;
    bool readOnlyRootfs = false;  // HostConfig.ReadonlyRootfs: only read-write volumes take it
};
// Extracts a tar (plain, gzip, bzip2, xz or zstd) into the directory `path` (the final symlink is
// followed). Errors: ENOENT "Could not find the file <path>", EINVAL "extraction point is not
// a directory", EROFS "container rootfs is marked read-only" / "mounted volume is marked
// read-only", EEXIST "cannot overwrite directory ... with non-directory ...".
Status putArchive(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                  const std::string& path, const ReadFn& in, const PutOptions& o);

// docker diff: [{"Path":"/etc/x","Kind":0|1|2}] (modified, added, deleted), sorted by path,
// from the overlay upper dir against its lower dirs (top-most first). berthd's own mount
// targets are left out, as docker keeps them in its hidden init layer: an empty /etc/hosts,
// /etc/hostname or /etc/resolv.conf the runtime made for the sandbox binds, empty 0755
// /proc, /sys, /dev... it made for the kernel filesystems, and a directory that only holds
// such targets (added, or copied up with the image's mode and owner).
Result<std::string> changes(const std::string& upperDir, const std::vector<std::string>& lowerDirs);

// docker's init layer, for the container in containerDir: <containerDir>/init holding those
// mount targets (empty files, 0755 directories; a directory the image has keeps the image's
// mode, owner and times), made once (atomically) and returned on later calls. Mounted as the
// top-most lower dir, it gives the runtime its targets so none lands in the writable layer,
// and so in diff or commit, while export still shows them as docker's does. A target whose
// parent the image has as a non-directory (an /etc symlink) is left out: the runtime then makes
// it as before. It also holds docker's /.dockerenv (empty, 0755) and /etc/mtab (a symlink to
// /proc/mounts), each unless the image has its own. lowerDirs: the image's layers, top-most
// first.
Result<std::string> prepareInitLayer(const std::string& containerDir,
                                     const std::vector<std::string>& lowerDirs);

// docker's SizeRw of a writable layer (moby's directory.Size): the sizes of what is under dir
// but directories; a file with several hard links counts once. Unreadable parts are skipped
// (a size is an estimate, not worth failing an inspect or a prune over).
int64_t layerSize(const std::string& dir);

// docker export: an uncompressed tar of the whole merged rootfs (names relative, no "./"
// prefix). Mount points below rootfsDir in this mount namespace are left out.
Status exportRootfs(const std::string& rootfsDir, const WriteFn& out);

}  // namespace berth::engine
