#include "image/snapshot.h"

#include <sys/mount.h>
#include <unistd.h>

#include "common/sys.h"

namespace berth::image {

namespace {

// Overlay with the new mount API: one fsconfig per lower dir, so the number of layers is not
// limited by the one-page option string of mount(2). Returns ENOSYS/EINVAL-style errors when the
// kernel lacks "lowerdir+" (before 6.8) so the caller can fall back.
Status mountNewApi(const OverlaySpec& s, const std::string& target) {
    int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0) return errnoError("fsopen overlay");
    UniqueFd fsfd(fs);
    auto set = [&](const char* key, const std::string& v) -> Status {
        if (fsconfig(fsfd.get(), FSCONFIG_SET_STRING, key, v.c_str(), 0) < 0)
            return errnoError("overlay option {}={}", key, v);
        return {};
    };
    for (auto& l : s.lowerDirs) TRY(set("lowerdir+", l));
    if (!s.upperDir.empty()) {
        TRY(set("upperdir", s.upperDir));
        TRY(set("workdir", s.workDir));
    }
    if (fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return errnoError("create overlay");
    int m = fsmount(fsfd.get(), FSMOUNT_CLOEXEC, 0);
    if (m < 0) return errnoError("fsmount overlay");
    UniqueFd mfd(m);
    if (move_mount(mfd.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return errnoError("move overlay mount to {}", target);
    return {};
}

}  // namespace

std::string overlayOptions(const OverlaySpec& s) {
    std::string lower;
    for (auto& l : s.lowerDirs) lower += (lower.empty() ? "" : ":") + l;
    std::string o = "lowerdir=" + lower;
    if (!s.upperDir.empty()) o += ",upperdir=" + s.upperDir + ",workdir=" + s.workDir;
    return o;
}

Status mountOverlay(const OverlaySpec& s, const std::string& target) {
    if (s.lowerDirs.empty()) return invalid("overlay on {}: no lower directory", target);
    if (!s.upperDir.empty() && s.workDir.empty())
        return invalid("overlay on {}: upper dir without a work dir", target);
    // A read-only overlay needs at least two lower layers; one is a plain read-only bind.
    if (s.upperDir.empty() && s.lowerDirs.size() == 1) {
        TRY_CTX(sys::mount(s.lowerDirs[0], target, "", MS_BIND, ""), "mount layer on {}", target);
        TRY_CTX(sys::mount("", target, "", MS_BIND | MS_REMOUNT | MS_RDONLY, ""),
                "mount layer on {}", target);
        return {};
    }
    auto st = mountNewApi(s, target);
    if (st) return {};
    // Kernels before 6.8 reject "lowerdir+": the classic option string.
    auto opts = overlayOptions(s);
    if (opts.size() >= static_cast<size_t>(getpagesize()))
        return st.error().wrap(fmt::format("mount overlay on {} ({} layers)", target,
                                           s.lowerDirs.size()));
    TRY_CTX(sys::mount("overlay", target, "overlay", 0, opts), "mount overlay on {}", target);
    return {};
}

Result<OverlaySpec> prepareRw(const std::string& dir, std::vector<std::string> lowerDirs) {
    OverlaySpec s{std::move(lowerDirs), dir + "/upper", dir + "/work"};
    TRY_CTX(sys::mkdirAll(s.upperDir, 0755), "prepare snapshot");
    TRY_CTX(sys::mkdirAll(s.workDir, 0700), "prepare snapshot");
    return s;
}

Status unmount(const std::string& target) {
    auto st = sys::umount2(target, MNT_DETACH);
    if (!st && st.error().code != EINVAL && st.error().code != ENOENT) return st;
    return {};
}

}  // namespace berth::image
