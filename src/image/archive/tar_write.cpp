// writeTar: a directory tree -> a PAX tar (libarchive) -> sha256 (diffID) -> compressor -> sink.
// Entries come in sorted order and times are whole seconds, so one tree always gives one tar.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>

#include "common/sys.h"
#include "image/archive/internal.h"

namespace berth::image::archive {

namespace {

using namespace detail;

using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

EntryPtr newEntry() {
    return EntryPtr(archive_entry_new(), archive_entry_free);
}

// Xattr names of a file, sorted (the tar must not depend on the filesystem's order).
// fd >= 0: through the fd; else through path without following it.
Result<std::vector<std::string>> listXattrs(int fd, const std::string& path) {
    for (;;) {
        ssize_t n = fd >= 0 ? ::flistxattr(fd, nullptr, 0) : ::llistxattr(path.c_str(), nullptr, 0);
        if (n < 0) {
            if (errno == EOPNOTSUPP) return std::vector<std::string>{};
            return errnoError("list xattrs");
        }
        if (n == 0) return std::vector<std::string>{};
        std::string buf(static_cast<size_t>(n), '\0');
        n = fd >= 0 ? ::flistxattr(fd, buf.data(), buf.size())
                    : ::llistxattr(path.c_str(), buf.data(), buf.size());
        if (n < 0 && errno == ERANGE) continue;  // grew meanwhile
        if (n < 0) return errnoError("list xattrs");
        std::vector<std::string> names;
        for (size_t pos = 0; pos < static_cast<size_t>(n);) {
            size_t end = buf.find('\0', pos);
            if (end == std::string::npos) end = static_cast<size_t>(n);
            if (end > pos) names.emplace_back(buf, pos, end - pos);
            pos = end + 1;
        }
        std::sort(names.begin(), names.end());
        return names;
    }
}

Result<std::string> getXattr(int fd, const std::string& path, const std::string& name) {
    for (;;) {
        ssize_t n = fd >= 0 ? ::fgetxattr(fd, name.c_str(), nullptr, 0)
                            : ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
        if (n < 0) return errnoError("get xattr {}", name);
        std::string v(static_cast<size_t>(n), '\0');
        n = fd >= 0 ? ::fgetxattr(fd, name.c_str(), v.data(), v.size())
                    : ::lgetxattr(path.c_str(), name.c_str(), v.data(), v.size());
        if (n < 0 && errno == ERANGE) continue;
        if (n < 0) return errnoError("get xattr {}", name);
        v.resize(static_cast<size_t>(n));
        return v;
    }
}

class TarWriter {
  public:
    explicit TarWriter(const TarOptions& o) : o_(o), buf_(new uint8_t[kChunkSize]) {}
    ~TarWriter() {
        if (a_) archive_write_free(a_);
    }

    Status open(const SinkFn& sink, Compression c) {
        comp_ = TRY(makeCompressor(c, sink));
        a_ = archive_write_new();
        if (!a_) return invalid("archive_write_new failed");
        if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
            archive_write_set_format_option(a_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK)
            return archiveError(a_, "tar format");
        // No blocking: libarchive hands every write straight to us (no 10 KiB records, no
        // padding after the end-of-archive blocks), and the compressor does the buffering.
        archive_write_set_bytes_per_block(a_, 0);
        if (archive_write_open(a_, this, nullptr, writeCb, nullptr) != ARCHIVE_OK)
            return failure("open tar");
        return {};
    }

    Status writeRoot(int rootFd) {
        if (o_.prefix.empty()) return {};
        struct stat st;
        if (::fstat(rootFd, &st) < 0) return errnoError("stat /");
        auto e = TRY(baseEntry("", st, true));
        TRY(addXattrs(e.get(), rootFd, ""));
        return writeHeader(e.get());
    }

    Status walk(int dirFd, const std::string& rel) {
        auto names = TRY_CTX(listDir(dirFd), "list {}", rel.empty() ? "/" : rel);
        for (const auto& name : names) {
            std::string childRel = rel.empty() ? name : rel + "/" + name;
            struct stat st;
            if (!TRY_CTX(lstatAt(dirFd, name, st), "{}", childRel)) continue;  // gone meanwhile
            if (o_.exclude && o_.exclude(childRel, S_ISDIR(st.st_mode))) continue;
            TRY_CTX(writeEntry(dirFd, name, childRel, st), "{}", childRel);
        }
        return {};
    }

    Result<TarResult> close() {
        if (archive_write_close(a_) != ARCHIVE_OK) return failure("close tar");
        TRY(comp_->finish());
        return TarResult{hash_.finish(), size_};
    }

  private:
    static la_ssize_t writeCb(struct archive*, void* ud, const void* buf, size_t n) {
        auto* w = static_cast<TarWriter*>(ud);
        w->hash_.update(buf, n);
        w->size_ += static_cast<int64_t>(n);
        Status st = w->comp_->write(buf, n);
        if (!st) {
            w->sinkErr_ = std::move(st).error();
            return -1;
        }
        return static_cast<la_ssize_t>(n);
    }
    // The sink's own error when it was the cause, else libarchive's.
    Error failure(std::string_view what) {
        if (sinkErr_.code || !sinkErr_.msg.empty()) return sinkErr_;
        return archiveError(a_, what);
    }

    std::string tarName(const std::string& rel, bool dir) const {
        std::string n = o_.prefix;
        if (!n.empty() && n.back() != '/') n += '/';
        n += rel;
        if (dir && !rel.empty()) n += '/';
        return n;
    }

    Result<EntryPtr> baseEntry(const std::string& rel, const struct stat& st, bool dir) {
        auto e = newEntry();
        if (!e) return invalid("archive_entry_new failed");
        archive_entry_copy_pathname(e.get(), tarName(rel, dir).c_str());
        archive_entry_set_filetype(e.get(), st.st_mode & S_IFMT);
        archive_entry_set_perm(e.get(), st.st_mode & 07777);
        archive_entry_set_uid(e.get(), o_.uid.value_or(st.st_uid));
        archive_entry_set_gid(e.get(), o_.gid.value_or(st.st_gid));
        // Whole seconds, no atime/ctime: what docker writes, and reproducible.
        archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);
        return e;
    }

    Status addXattrs(struct archive_entry* e, int fd, const std::string& path) {
        auto names = TRY(listXattrs(fd, path));
        for (const auto& n : names) {
            if (isPrivateXattr(n)) continue;
            auto v = TRY(getXattr(fd, path, n));
            archive_entry_xattr_add_entry(e, n.c_str(), v.data(), v.size());
        }
        return {};
    }

    Status writeHeader(struct archive_entry* e) {
        // ARCHIVE_WARN: a name that is not valid UTF-8 is stored as raw bytes with
        // hdrcharset=BINARY, which is what we want.
        if (archive_write_header(a_, e) < ARCHIVE_WARN) return failure("write header");
        return {};
    }

    Status writeEntry(int dirFd, const std::string& name, const std::string& rel,
                      const struct stat& st);
    Status writeWhiteout(const std::string& rel, const std::string& name, const struct stat& st);
    Status writeFile(int dirFd, const std::string& name, const std::string& rel,
                     const struct stat& st);
    Status copyData(int fd, int64_t size);

    const TarOptions& o_;
    std::unique_ptr<uint8_t[]> buf_;
    std::unique_ptr<Compressor> comp_;
    struct archive* a_ = nullptr;
    Sha256 hash_;
    int64_t size_ = 0;
    Error sinkErr_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first tar name of each inode
};

Status TarWriter::writeEntry(int dirFd, const std::string& name, const std::string& rel,
                             const struct stat& st) {
    if (S_ISSOCK(st.st_mode)) return {};  // sockets are not content
    if (o_.fromOverlayUpper && isWhiteoutDevice(st)) return writeWhiteout(rel, name, st);
    if (S_ISREG(st.st_mode)) return writeFile(dirFd, name, rel, st);

    bool dir = S_ISDIR(st.st_mode);
    auto e = TRY(baseEntry(rel, st, dir));
    if (dir) {
        UniqueFd d(::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) return errnoError("open");
        TRY(addXattrs(e.get(), d.get(), ""));
        TRY(writeHeader(e.get()));
        if (o_.fromOverlayUpper && isOpaqueDir(d.get())) {
            // Right after its directory, before the content that survives it (as docker).
            struct stat ost = st;
            ost.st_mode = S_IFREG | (st.st_mode & 0777);
            auto oe = TRY(baseEntry(rel + "/" + std::string(kOpaqueMarker), ost, false));
            archive_entry_set_size(oe.get(), 0);
            TRY(writeHeader(oe.get()));
        }
        return walk(d.get(), rel);
    }

    std::string path = procPath(dirFd, name);
    if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
        for (;;) {
            ssize_t n = ::readlinkat(dirFd, name.c_str(), target.data(), target.size());
            if (n < 0) return errnoError("readlink");
            if (static_cast<size_t>(n) < target.size()) {
                target.resize(static_cast<size_t>(n));
                break;
            }
            target.resize(target.size() * 2);
        }
        archive_entry_copy_symlink(e.get(), target.c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
        archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    }
    TRY(addXattrs(e.get(), -1, path));
    return writeHeader(e.get());
}

Status TarWriter::writeWhiteout(const std::string& rel, const std::string& name,
                                const struct stat& st) {
    // overlayfs' 0/0 device -> the OCI ".wh.<name>" file, with the device's owner and time.
    std::string parent = splitParent(rel).first;
    std::string wh = std::string(kWhiteoutPrefix) + name;
    struct stat wst = st;
    wst.st_mode = S_IFREG | 0600;
    auto e = TRY(baseEntry(parent.empty() ? wh : parent + "/" + wh, wst, false));
    archive_entry_set_size(e.get(), 0);
    return writeHeader(e.get());
}

Status TarWriter::writeFile(int dirFd, const std::string& name, const std::string& rel,
                            const struct stat& st) {
    auto e = TRY(baseEntry(rel, st, false));
    if (st.st_nlink > 1) {
        auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, tarName(rel, false));
        if (!first) {
            archive_entry_copy_hardlink(e.get(), it->second.c_str());
            archive_entry_set_size(e.get(), 0);
            return writeHeader(e.get());
        }
    }
    UniqueFd f(::openat(dirFd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!f) return errnoError("open");
    archive_entry_set_size(e.get(), st.st_size);
    TRY(addXattrs(e.get(), f.get(), ""));
    TRY(writeHeader(e.get()));
    return copyData(f.get(), st.st_size);
}

Status TarWriter::copyData(int fd, int64_t size) {
    // A file that shrank meanwhile is padded with zeros by libarchive; one that grew is cut
    // at the size in its header.
    while (size > 0) {
        ssize_t n = ::read(fd, buf_.get(), std::min<int64_t>(size, kChunkSize));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("read");
        }
        if (n == 0) break;
        if (archive_write_data(a_, buf_.get(), static_cast<size_t>(n)) < 0)
            return failure("write data");
        size -= n;
    }
    return {};
}

}  // namespace

Result<TarResult> writeTar(const std::string& dir, const SinkFn& sink, Compression c,
                           const TarOptions& o) {
    ScopedUtf8Locale utf8;
    auto root = TRY_CTX(sys::open(dir, O_RDONLY | O_DIRECTORY), "tar {}", dir);
    TarWriter w(o);
    TRY_CTX(w.open(sink, c), "tar {}", dir);
    TRY_CTX(w.writeRoot(root.get()), "tar {}", dir);
    TRY_CTX(w.walk(root.get(), ""), "tar {}", dir);
    return TRY_CTX(w.close(), "tar {}", dir);
}

}  // namespace berth::image::archive
