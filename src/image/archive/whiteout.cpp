// Whiteouts (".wh.<name>", ".wh..wh..opq") in both unpack modes: turned into overlayfs form
// (0/0 char device, trusted.overlay.opaque) or applied at once (flattening layers).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "image/archive/extract.h"

namespace berth::image::archive::detail {

bool isOpaqueDir(int dirFd) {
    char v[2];
    return ::fgetxattr(dirFd, kOpaqueXattr, v, sizeof v) == 1 && v[0] == 'y';
}

bool isPrivateXattr(std::string_view name) {
    // The overlay's own bookkeeping, and host SELinux labels, are not image content.
    return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.") ||
           name == "security.selinux";
}

Status Extractor::applyWhiteout(const std::string& parentRel, const std::string& leaf,
                                const Meta& m) {
    if (leaf == kOpaqueMarker) return applyOpaque(parentRel);
    // Other ".wh..wh." names are aufs bookkeeping (.wh..wh..plnk, .wh..wh..aufs): no content.
    if (leaf.starts_with(".wh..wh.")) return {};
    std::string name = leaf.substr(kWhiteoutPrefix.size());
    if (name.empty() || name == "." || name == "..") return invalid("bad whiteout name");

    if (overlay_) {
        int pfd = TRY(parentFd(parentRel));
        if (::mknodat(pfd, name.c_str(), S_IFCHR, makedev(0, 0)) < 0) {
            if (errno != EEXIST) return errnoError("mknod whiteout {}", name);
            TRY(replace(pfd, name));
            if (::mknodat(pfd, name.c_str(), S_IFCHR, makedev(0, 0)) < 0)
                return errnoError("mknod whiteout {}", name);
        }
        if (chown_ && ::fchownat(pfd, name.c_str(), m.uid, m.gid, AT_SYMLINK_NOFOLLOW) < 0)
            return errnoError("chown whiteout {}", name);
        // The entry's time, so that writing the layer back gives the same tar.
        if (::utimensat(pfd, name.c_str(), m.times, AT_SYMLINK_NOFOLLOW) < 0)
            return errnoError("set times of whiteout {}", name);
        return {};
    }

    // Flattening: the name goes now. Nothing to delete when the parent is not there.
    auto pfd = root_.openDir(parentRel, false);
    if (!pfd) {
        int c = pfd.error().code;
        return c == ENOENT || c == ENOTDIR ? okStatus() : Status(std::move(pfd).error());
    }
    forgetParent();  // the cached directory may be the one removed, or below it
    return removeAt(pfd->get(), name);
}

Status Extractor::applyOpaque(const std::string& parentRel) {
    if (overlay_) {
        TRY(parentFd(parentRel));  // creates it when the tar did not list it first
        auto d = TRY(root_.openIn(parentRel, O_RDONLY | O_DIRECTORY));
        if (::fsetxattr(d.get(), kOpaqueXattr, "y", 1, 0) < 0)
            return errnoError("set {} on {}", kOpaqueXattr, parentRel.empty() ? "/" : parentRel);
        return {};
    }
    auto d = root_.openIn(parentRel, O_RDONLY | O_DIRECTORY);
    if (!d) {
        int c = d.error().code;
        return c == ENOENT || c == ENOTDIR ? okStatus() : Status(std::move(d).error());
    }
    forgetParent();
    return removeOlder(d->get(), parentRel);
}

Status Extractor::removeOlder(int dirFd, const std::string& dirRel) {
    auto names = TRY(listDir(dirFd));
    for (const auto& n : names) {
        std::string rel = dirRel.empty() ? n : dirRel + "/" + n;
        if (!written_.contains(rel)) {
            TRY(removeAt(dirFd, n));
            continue;
        }
        // Written by this tar: kept, but what older layers left inside it is hidden too.
        struct stat st;
        if (!TRY(lstatAt(dirFd, n, st)) || !S_ISDIR(st.st_mode)) continue;
        UniqueFd sub(::openat(dirFd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) return errnoError("open {}", rel);
        TRY(removeOlder(sub.get(), rel));
    }
    return {};
}

void Extractor::noteWritten(const std::string& rel) {
    // With its parents: a directory the tar created implicitly is this layer's too.
    std::string p = rel;
    while (!p.empty() && written_.insert(p).second) p = splitParent(p).first;
}

}  // namespace berth::image::archive::detail
