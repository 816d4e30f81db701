// rootfs::finish, in the new root: root propagation, read-only root, sysctls, readonly and
// masked paths. Targets are opened with O_NOFOLLOW inside the root and mounted on through
// /proc/self/fd/N, and the /dev/null used for masking is checked to be the real null device
// first, so an image cannot turn masking into a bind of something else (CVE-2025-31133).
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/sys.h"
#include "runtime/rootfs.h"
#include "runtime/rootfs/mount_util.h"
#include "runtime/rootfs/safe_path.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {

namespace {

// O_PATH|O_NOFOLLOW of a path inside the root; an empty fd when it does not exist.
Result<UniqueFd> openOptional(int rootfd, const std::string& path) {
    auto r = openInRoot(rootfd, path, O_PATH | O_NOFOLLOW);
    if (!r && r.error().code == ENOENT) return UniqueFd();
    return r;
}

Result<UniqueFd> openDevNull(int rootfd) {
    UniqueFd fd = TRY(openInRoot(rootfd, "/dev/null", O_PATH | O_NOFOLLOW));
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return errnoError("stat /dev/null");
    if (!S_ISCHR(st.st_mode) || ::major(st.st_rdev) != 1 || ::minor(st.st_rdev) != 3) {
        return makeError(EPERM, "masked path source /dev/null is not the null device");
    }
    return fd;
}

// runc creates a missing process.cwd (before the root turns read-only), and images rely on it
// (WORKDIR that no layer created). Best effort and inside the root only: a cwd through a magic
// link (/proc/self/fd/N, CVE-2024-21626) or on a filesystem that refuses mkdir is left alone,
// and the chdir at exec time reports it (or its "outside of the container root" check does).
void createCwd(int rootfd, const spec::Spec& s) {
    if (!s.process || s.process->cwd.empty()) return;
    const std::string& cwd = s.process->cwd;
    auto existing = openInRoot(rootfd, cwd, O_PATH);
    if (existing || existing.error().code != ENOENT) return;
    (void)mkdirAllInRoot(rootfd, cwd, Kind::Dir);
}

}  // namespace

Status remountRootReadonly() {
    UniqueFd root = TRY(sys::open("/", O_PATH | O_DIRECTORY));
    return remountBind(root.get(), MS_RDONLY, "/");
}

Status maskPaths(int rootfd, const std::vector<std::string>& paths) {
    if (paths.empty()) return {};
    UniqueFd devNull = TRY(openDevNull(rootfd));
    for (const auto& p : paths) {
        UniqueFd fd = TRY_CTX(openOptional(rootfd, p), "masked path {}", p);
        if (!fd) continue;
        struct stat st;
        if (::fstat(fd.get(), &st) < 0) return errnoError("stat masked path {}", p);
        if (S_ISDIR(st.st_mode)) {
            TRY_CTX(sys::mount("tmpfs", sys::fdPath(fd.get()), "tmpfs", MS_RDONLY), "mask {}", p);
        } else {
            TRY_CTX(sys::mount(sys::fdPath(devNull.get()), sys::fdPath(fd.get()), "", MS_BIND),
                    "mask {}", p);
        }
    }
    return {};
}

Status readonlyPaths(int rootfd, const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
        UniqueFd fd = TRY_CTX(openOptional(rootfd, p), "readonly path {}", p);
        if (!fd) continue;
        std::string at = sys::fdPath(fd.get());
        TRY_CTX(sys::mount(at, at, "", MS_BIND | MS_REC), "readonly path {}", p);
        UniqueFd top = TRY_CTX(openInRoot(rootfd, p, O_PATH | O_NOFOLLOW), "readonly path {}", p);
        uint64_t a = TRY(mountId(fd.get())), b = TRY(mountId(top.get()));
        if (a == b) return makeError(EXDEV, "readonly path {} changed while mounting", p);
        TRY_CTX(remountBind(top.get(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, p),
                "readonly path");
    }
    return {};
}

Status finish(const spec::Spec& s, const Options& o) {
    (void)o;
    // Propagation asked for the container's root applies to the new "/" (runc does the same).
    if (s.linux && !s.linux->rootfsPropagation.empty()) {
        unsigned long p = TRY(propagationFlags(s.linux->rootfsPropagation));
        TRY_CTX(sys::mount("", "/", "", p), "set propagation of / to {}",
                s.linux->rootfsPropagation);
    }
    UniqueFd root = TRY(sys::open("/", O_PATH | O_DIRECTORY));
    createCwd(root.get(), s);
    if (s.root && s.root->readonly) TRY_CTX(remountRootReadonly(), "read-only rootfs");
    if (!s.linux) return {};
    // Sysctls before readonlyPaths, which usually make /proc/sys read-only.
    TRY(writeSysctls(s.linux->sysctl));
    TRY(readonlyPaths(root.get(), s.linux->readonlyPaths));
    TRY(maskPaths(root.get(), s.linux->maskedPaths));
    return {};
}

}  // namespace berth::rootfs
