// Tar entry -> filesystem. The parent of every entry is opened inside the root (openat2
// RESOLVE_IN_ROOT); the last component is then made with *at calls that never follow it.
#include "image/archive/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace berth::image::archive::detail {

namespace {

// Names as stored; the UTF-8 form when they do not convert to the locale's charset.
const char* entryName(struct archive_entry* e) {
    const char* n = archive_entry_pathname(e);
    return n ? n : archive_entry_pathname_utf8(e);
}
const char* hardlinkName(struct archive_entry* e) {
    const char* n = archive_entry_hardlink(e);
    return n ? n : archive_entry_hardlink_utf8(e);
}
const char* symlinkName(struct archive_entry* e) {
    const char* n = archive_entry_symlink(e);
    return n ? n : archive_entry_symlink_utf8(e);
}

// Applies the entry's xattrs (PAX SCHILY.xattr.*). A filesystem without xattrs is tolerated,
// and so is, without root, a trusted.* or security.* name it may not set.
Status applyXattrs(struct archive_entry* e, bool isRoot,
                   const std::function<int(const char*, const void*, size_t)>& set) {
    const char* name;
    const void* value;
    size_t size;
    for (archive_entry_xattr_reset(e);
         archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK;) {
        if (isPrivateXattr(name)) continue;
        if (set(name, value, size) < 0 && errno != EOPNOTSUPP && (isRoot || errno != EPERM))
            return errnoError("set xattr {}", name);
    }
    return {};
}

}  // namespace

Result<std::unique_ptr<Extractor>> Extractor::create(const std::string& destDir,
                                                     const UnpackOptions& o) {
    auto root = TRY(SafeRoot::open(destDir));
    return std::unique_ptr<Extractor>(new Extractor(std::move(root), o));
}

Extractor::Extractor(SafeRoot root, const UnpackOptions& o)
    : root_(std::move(root)),
      overlay_(o.overlayWhiteouts),
      chown_(o.preserveOwnership),
      isRoot_(::geteuid() == 0) {}

Status Extractor::apply(struct archive* a, struct archive_entry* e) {
    const char* raw = entryName(e);
    if (!raw) return invalid("entry with an unreadable name");
    auto rel = cleanEntryPath(raw);
    Status st = rel ? applyEntry(a, e, *rel) : Status(std::move(rel).error());
    if (!st) return std::move(st).error().wrap(fmt::format("entry {}", raw));
    return {};
}

Status Extractor::applyEntry(struct archive* a, struct archive_entry* e, const std::string& rel) {
    Meta m{};
    m.uid = static_cast<uid_t>(archive_entry_uid(e));
    m.gid = static_cast<gid_t>(archive_entry_gid(e));
    m.perm = archive_entry_perm(e) & 07777;
    m.times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    m.times[0] = archive_entry_atime_is_set(e)
                     ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                     : m.times[1];

    auto [parentRel, leaf] = splitParent(rel);
    if (leaf.starts_with(kWhiteoutPrefix)) return applyWhiteout(parentRel, leaf, m);
    if (!overlay_) noteWritten(rel);

    mode_t type = archive_entry_filetype(e);
    if (const char* hl = hardlinkName(e)) return applyHardlink(a, e, rel, hl);
    if (rel.empty()) {
        // "./" says nothing about the layer: as docker, the root keeps its own mode and owner
        // (a tar made with `tar -C /tmp/xyz .` would otherwise make "/" 0700).
        if (type != AE_IFDIR) return invalid("the layer root can only be a directory");
        return {};
    }
    if (type == AE_IFSOCK) return {};  // sockets are not content (docker drops them too)
    int pfd = TRY(parentFd(parentRel));
    switch (type) {
        case AE_IFREG:
            return applyFile(a, e, pfd, leaf, m);
        case AE_IFDIR:
            return applyDir(e, pfd, leaf, rel, m);
        case AE_IFLNK:
            return applySymlink(e, pfd, leaf, m);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
            return applyNode(e, pfd, leaf, m);
        default:
            return invalid("unsupported entry type {:o}", type);
    }
}

Result<int> Extractor::parentFd(const std::string& parentRel) {
    if (cachedFd_ && cachedRel_ == parentRel) return cachedFd_.get();
    cachedFd_.reset();
    cachedFd_ = TRY(root_.openDir(parentRel, true));
    cachedRel_ = parentRel;
    return cachedFd_.get();
}

Status Extractor::replace(int pfd, const std::string& leaf) {
    // Only what is below pfd goes, so the cached parent (pfd itself) stays valid.
    return removeAt(pfd, leaf);
}

Status Extractor::applyFile(struct archive* a, struct archive_entry* e, int pfd,
                            const std::string& leaf, const Meta& m) {
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    // O_EXCL: an existing name (a symlink, or a hardlink shared with another file) is removed
    // rather than written through.
    UniqueFd f(::openat(pfd, leaf.c_str(), kFlags, 0600));
    if (!f && errno == EEXIST) {
        TRY(replace(pfd, leaf));
        f.reset(::openat(pfd, leaf.c_str(), kFlags, 0600));
    }
    if (!f) return errnoError("create");
    int64_t size = archive_entry_size(e);
    TRY(writeData(a, f.get(), size));
    unpacked_ += size;
    TRY(setMetaFd(f.get(), e, m));
    if (::futimens(f.get(), m.times) < 0) return errnoError("set times");
    return {};
}

Status Extractor::writeData(struct archive* a, int fd, int64_t size) {
    const void* buf;
    size_t len;
    la_int64_t off;
    int64_t end = 0;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &len, &off);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archiveError(a, "read data");
        // pwrite at the block's offset: a sparse entry's holes stay unallocated.
        auto* p = static_cast<const char*>(buf);
        while (len > 0) {
            ssize_t w = ::pwrite(fd, p, len, off);
            if (w < 0) {
                if (errno == EINTR) continue;
                return errnoError("write");
            }
            p += w;
            len -= static_cast<size_t>(w);
            off += w;
        }
        end = std::max<int64_t>(end, off);
    }
    if (end < size && ::ftruncate(fd, size) < 0) return errnoError("truncate");
    return {};
}

Status Extractor::setMetaFd(int fd, struct archive_entry* e, const Meta& m) {
    if (chown_ && ::fchown(fd, m.uid, m.gid) < 0) return errnoError("chown {}:{}", m.uid, m.gid);
    TRY(applyXattrs(e, isRoot_, [fd](const char* n, const void* v, size_t s) {
        return ::fsetxattr(fd, n, v, s, 0);
    }));
    if (::fchmod(fd, m.perm) < 0) return errnoError("chmod {:o}", m.perm);
    return {};
}

Status Extractor::setMetaAt(int pfd, const std::string& leaf, struct archive_entry* e,
                            const Meta& m, bool chmod) {
    if (chown_ && ::fchownat(pfd, leaf.c_str(), m.uid, m.gid, AT_SYMLINK_NOFOLLOW) < 0)
        return errnoError("chown {}:{}", m.uid, m.gid);
    if (archive_entry_xattr_count(e) > 0) {
        std::string path = procPath(pfd, leaf);
        TRY(applyXattrs(e, isRoot_, [&](const char* n, const void* v, size_t s) {
            return ::lsetxattr(path.c_str(), n, v, s, 0);
        }));
    }
    if (chmod && ::fchmodat(pfd, leaf.c_str(), m.perm, AT_SYMLINK_NOFOLLOW) < 0)
        return errnoError("chmod {:o}", m.perm);
    if (::utimensat(pfd, leaf.c_str(), m.times, AT_SYMLINK_NOFOLLOW) < 0)
        return errnoError("set times");
    return {};
}

Status Extractor::applyDir(struct archive_entry* e, int pfd, const std::string& leaf,
                           const std::string& rel, const Meta& m) {
    if (::mkdirat(pfd, leaf.c_str(), 0700) < 0) {
        if (errno != EEXIST) return errnoError("mkdir");
        // A directory over a directory keeps the content; anything else is replaced.
        struct stat st;
        bool exists = TRY(lstatAt(pfd, leaf, st));
        if (!exists || !S_ISDIR(st.st_mode)) {
            TRY(replace(pfd, leaf));
            if (::mkdirat(pfd, leaf.c_str(), 0700) < 0) return errnoError("mkdir");
        }
    }
    UniqueFd d(::openat(pfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) return errnoError("open");
    Meta now = m;
    // Without root, a read-only directory could not be filled: its mode waits for finish().
    if (!isRoot_) now.perm |= S_IRWXU;
    TRY(setMetaFd(d.get(), e, now));
    dirs_.push_back({rel, m.perm, {m.times[0], m.times[1]}});
    return {};
}

Status Extractor::applySymlink(struct archive_entry* e, int pfd, const std::string& leaf,
                               const Meta& m) {
    const char* target = symlinkName(e);
    if (!target) return invalid("symlink without a target");
    if (::symlinkat(target, pfd, leaf.c_str()) < 0) {
        if (errno != EEXIST) return errnoError("symlink");
        TRY(replace(pfd, leaf));
        if (::symlinkat(target, pfd, leaf.c_str()) < 0) return errnoError("symlink");
    }
    return setMetaAt(pfd, leaf, e, m, false);
}

Status Extractor::applyNode(struct archive_entry* e, int pfd, const std::string& leaf,
                            const Meta& m) {
    mode_t type = archive_entry_filetype(e);
    mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
    dev_t dev =
        kind == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(pfd, leaf.c_str(), kind | 0600, dev) < 0) {
        if (errno != EEXIST) return errnoError("mknod");
        TRY(replace(pfd, leaf));
        if (::mknodat(pfd, leaf.c_str(), kind | 0600, dev) < 0) return errnoError("mknod");
    }
    return setMetaAt(pfd, leaf, e, m, true);
}

Status Extractor::applyHardlink(struct archive* a, struct archive_entry* e, const std::string& rel,
                                const char* target) {
    // The target is looked up inside the root like any name: "/etc/passwd" means
    // <root>/etc/passwd, and "../x" is refused.
    auto targetRel = TRY_CTX(cleanEntryPath(target), "hardlink target {}", target);
    if (targetRel.empty()) return invalid("hardlink to the layer root");
    if (targetRel == rel) return {};
    auto [tParent, tLeaf] = splitParent(targetRel);
    auto tpfd = TRY_CTX(root_.openDir(tParent, false), "hardlink target {}", target);
    auto [parentRel, leaf] = splitParent(rel);
    int pfd = TRY(parentFd(parentRel));
    if (::linkat(tpfd.get(), tLeaf.c_str(), pfd, leaf.c_str(), 0) < 0) {
        if (errno != EEXIST) return errnoError("link to {}", target);
        struct stat have, want;
        bool exists = TRY(lstatAt(pfd, leaf, have));
        if (!TRY(lstatAt(tpfd.get(), tLeaf, want))) return makeError(ENOENT, "link to {}", target);
        if (!exists || have.st_ino != want.st_ino || have.st_dev != want.st_dev) {
            TRY(replace(pfd, leaf));
            if (::linkat(tpfd.get(), tLeaf.c_str(), pfd, leaf.c_str(), 0) < 0)
                return errnoError("link to {}", target);
        }
    }
    // A hardlink entry may carry data (pax allows it): it goes into the shared file.
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
        UniqueFd f(::openat(pfd, leaf.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC));
        if (!f) return errnoError("open");
        TRY(writeData(a, f.get(), archive_entry_size(e)));
    }
    return {};
}

Status Extractor::finish() {
    for (const auto& d : dirs_) {
        // A directory replaced or removed by a later entry is skipped, never followed.
        auto fd = root_.openIn(d.rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!fd) {
            int c = fd.error().code;
            if (c == ENOENT || c == ENOTDIR || c == ELOOP) continue;
            return std::move(fd).error().wrap("set directory times");
        }
        if (!isRoot_ && ::fchmod(fd->get(), d.perm) < 0)
            return errnoError("chmod {} {:o}", d.rel, d.perm);
        if (::futimens(fd->get(), d.times) < 0) return errnoError("set times of {}", d.rel);
    }
    return {};
}

}  // namespace berth::image::archive::detail
