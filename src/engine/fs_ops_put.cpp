// docker cp into a container (moby daemon/archive.go containerExtractToDir): a tar extracted
// below a directory of the container, every entry applied by the image layer's Extractor
// rooted at the container's root (so symlinks met on the way resolve inside the container,
// as docker's chrooted untar does), names made relative to the extraction directory first.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "common/sys.h"
#include "engine/fs_ops.h"
#include "engine/fs_ops_internal.h"
#include "image/archive/extract.h"
#include "image/build/users.h"

namespace berth::engine {

namespace {

using namespace fsops;
namespace ad = image::archive::detail;

constexpr size_t kReadChunk = 256 * 1024;

struct Source {
    const ReadFn* in;
    std::vector<char> buf = std::vector<char>(kReadChunk);
    std::optional<Error> err;  // the reader's own failure, reported instead of libarchive's
};

la_ssize_t readCb(struct archive* a, void* ud, const void** out) {
    auto* s = static_cast<Source*>(ud);
    auto n = (*s->in)(s->buf.data(), s->buf.size());
    if (!n) {
        s->err = std::move(n).error();
        archive_set_error(a, EIO, "reading the archive failed");
        return -1;
    }
    *out = s->buf.data();
    return static_cast<la_ssize_t>(*n);
}

std::string joinRel(const std::string& destRel, const std::string& rel) {
    return destRel.empty() ? rel : destRel + "/" + rel;
}

// The mount whose destination holds path (the deepest one), or nullptr.
const MountMap* mountOf(const std::vector<MountMap>& mounts, const std::string& path) {
    const MountMap* best = nullptr;
    size_t bestLen = 0;
    for (const auto& m : mounts) {
        std::string d = cleanAbs(m.destination);
        bool in = path == d || d == "/" || path.starts_with(d + "/");
        if (in && d.size() >= bestLen) {
            best = &m;
            bestLen = d.size();
        }
    }
    return best;
}

class Putter {
  public:
    Putter(int rootFd, std::string dest, const PutOptions& o) : rootFd_(rootFd), o_(o) {
        dest_ = std::move(dest);
        destRel_ = dest_ == "/" ? "" : dest_.substr(1);
    }

    Status run(const ReadFn& in) {
        if (o_.copyUidGid && !o_.user.empty()) {
            auto u = TRY_CTX(image::build::resolveUser(rootFd_, o_.user), "user {}", o_.user);
            owner_ = {u.uid, u.gid};
        }
        ad::ScopedUtf8Locale utf8;
        image::archive::UnpackOptions uo;
        uo.preserveOwnership = true;
        extractor_ = TRY(ad::Extractor::create(sys::fdPath(rootFd_), uo));

        Source src{&in};
        struct archive* a = archive_read_new();
        if (!a) return invalid("archive_read_new failed");
        std::unique_ptr<struct archive, int (*)(struct archive*)> guard(a, archive_read_free);
        // What docker's DecompressStream takes. Not filter_all: some of its filters run an
        // external program, which a client must not be able to make the daemon start.
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_empty(a);
        if (archive_read_open(a, &src, nullptr, readCb, nullptr) != ARCHIVE_OK)
            return failure(a, src, "open the archive");
        for (;;) {
            struct archive_entry* e;
            int r = archive_read_next_header(a, &e);
            if (r == ARCHIVE_EOF) break;
            if (r < ARCHIVE_WARN) return failure(a, src, "read the archive");
            TRY(entry(a, e));
        }
        return extractor_->finish();
    }

  private:
    Status failure(struct archive* a, Source& src, std::string_view what) {
        if (src.err) return std::move(*src.err).wrap(what);
        return ad::archiveError(a, what);
    }

    Status entry(struct archive* a, struct archive_entry* e) {
        const char* raw = archive_entry_pathname(e);
        if (!raw) raw = archive_entry_pathname_utf8(e);
        if (!raw) return invalid("archive entry with an unreadable name");
        auto rel = ad::cleanEntryPath(raw);
        if (!rel) return invalid("archive entry {:?} is outside of {}", raw, dest_);
        if (rel->empty()) return {};  // "./": the extraction directory keeps its metadata
        std::string leaf = ad::splitParent(*rel).second;
        if (leaf.starts_with(ad::kWhiteoutPrefix))
            return invalid("archive entry {:?}: names starting with \".wh.\" are reserved", raw);
        std::string full = joinRel(destRel_, *rel);
        bool isDir = archive_entry_filetype(e) == AE_IFDIR;
        if (o_.noOverwriteDirNonDir) TRY(checkOverwrite(full, isDir));
        if (owner_) {
            archive_entry_set_uid(e, owner_->first);
            archive_entry_set_gid(e, owner_->second);
        }
        const char* link = archive_entry_hardlink(e);
        if (!link) link = archive_entry_hardlink_utf8(e);
        if (link) {
            auto target = ad::cleanEntryPath(link);
            if (!target) return invalid("invalid hardlink {:?} -> {:?}", raw, link);
            archive_entry_copy_hardlink(e, joinRel(destRel_, *target).c_str());
        }
        archive_entry_copy_pathname(e, full.c_str());
        return extractor_->apply(a, e);
    }

    // docker's NoOverwriteDirNonDir: never a directory replaced by a file, nor the reverse.
    Status checkOverwrite(const std::string& full, bool isDir) {
        auto [parent, leaf] = ad::splitParent(full);
        auto pfd = openInRoot(rootFd_, "/" + parent, O_PATH | O_DIRECTORY);
        if (!pfd) return {};  // no parent yet: nothing to overwrite
        struct stat st;
        if (::fstatat(pfd->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return {};
        std::string path = "/" + full;
        if (S_ISDIR(st.st_mode) && !isDir)
            return Error{EEXIST,
                         fmt::format("cannot overwrite directory \"{}\" with non-directory \"{}\"",
                                     path, dest_),
                         true};
        if (!S_ISDIR(st.st_mode) && isDir)
            return Error{EEXIST,
                         fmt::format("cannot overwrite non-directory \"{}\" with directory \"{}\"",
                                     path, dest_),
                         true};
        return {};
    }

    int rootFd_;
    const PutOptions& o_;
    std::string dest_, destRel_;
    std::optional<std::pair<uint32_t, uint32_t>> owner_;
    std::unique_ptr<ad::Extractor> extractor_;
};

Status extractTo(int rootFd, const std::vector<MountMap>& mounts, const std::string& path,
                 const ReadFn& in, const PutOptions& o) {
    // The last element is followed too: extracting "to a symlink" means into its target dir.
    std::string dest = TRY(resolveInScope(rootFd, absPath(path)));
    auto fd = openInRoot(rootFd, dest, O_PATH);
    if (!fd) {
        if (fd.error().code == ENOENT) return notFound(path);
        return std::move(fd).error().wrap(fmt::format("open {}", dest));
    }
    struct stat st;
    if (::fstat(fd->get(), &st) < 0) return errnoError("stat {}", dest);
    if (!S_ISDIR(st.st_mode)) return invalid("extraction point is not a directory");
    if (const MountMap* m = mountOf(mounts, dest)) {
        if (m->readOnly) return Error{EROFS, "mounted volume is marked read-only", true};
    } else if (o.readOnlyRootfs) {
        return Error{EROFS, "container rootfs is marked read-only", true};
    }
    Putter p(rootFd, dest, o);
    return p.run(in);
}

}  // namespace

Status putArchive(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                  const std::string& path, const ReadFn& in, const PutOptions& o) {
    return withRoot(rootfsDir, mounts,
                    [&](int rootFd) { return extractTo(rootFd, mounts, path, in, o); });
}

}  // namespace berth::engine
