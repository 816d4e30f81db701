// rootfs::enter: make the prepared rootfs "/". pivot_root(".", ".") stacks the old root on
// top of the new one, where we detach it; an initramfs root cannot be pivoted, so there (and
// with --no-pivot) the rootfs is moved over "/" and chrooted into, as runc does.
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sys.h"
#include "runtime/rootfs.h"
#include "runtime/rootfs/mount_util.h"

namespace berth::rootfs {

namespace {

// The initial ramfs/tmpfs root ("rootfs" in mountinfo) is the one root pivot_root refuses.
bool onInitramfs() {
    auto mounts = readMountInfo();
    if (!mounts) return false;
    const MountInfo* m = mountContaining(*mounts, "/");
    return m && (m->fsType == "rootfs" || m->fsType == "ramfs" || m->source == "rootfs");
}

Status moveRoot(int newroot, const std::string& rootfs) {
    if (::fchdir(newroot) < 0) return errnoError("chdir {}", rootfs);
    TRY_CTX(sys::mount(".", "/", "", MS_MOVE), "move rootfs {} to /", rootfs);
    if (::chroot(".") < 0) return errnoError("chroot {}", rootfs);
    return {};
}

// Detaches the old root after a successful pivot_root(".", ".").
Status detachOldRoot(int oldroot) {
    // The old root now sits on top of the new one; step into it to detach it. Slave first so
    // the unmount cannot propagate to the host's peers.
    if (::fchdir(oldroot) < 0) return errnoError("chdir to old root");
    TRY_CTX(sys::mount("", ".", "", MS_SLAVE | MS_REC), "make old root rslave");
    TRY_CTX(sys::umount2(".", MNT_DETACH), "detach old root");
    return {};
}

}  // namespace

Status enter(const Options& o) {
    UniqueFd oldroot = TRY(sys::open("/", O_RDONLY | O_DIRECTORY));
    UniqueFd newroot = TRY_CTX(sys::open(o.rootfs, O_RDONLY | O_DIRECTORY), "open rootfs");
    bool move = o.noPivot;
    if (!move) {
        if (::fchdir(newroot.get()) < 0) return errnoError("chdir {}", o.rootfs);
        int rc = static_cast<int>(::syscall(SYS_pivot_root, ".", "."));
        int e = errno;
        if (rc == 0) {
            TRY(detachOldRoot(oldroot.get()));
        } else if (e == EINVAL && onInitramfs()) {
            log::debug("pivot_root refused on an initramfs root; using MS_MOVE + chroot");
            move = true;
        } else {
            return makeError(e, "pivot_root {}", o.rootfs);
        }
    }
    if (move) TRY(moveRoot(newroot.get(), o.rootfs));
    if (::chdir("/") < 0) return errnoError("chdir /");
    return {};
}

}  // namespace berth::rootfs
