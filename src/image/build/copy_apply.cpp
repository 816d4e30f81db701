// COPY/ADD into the container root: destination rules, owners, modes, times; archives
// extracted through the layer unpacker (contained in the destination directory).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "common/sys.h"
#include "image/archive/archive.h"
#include "image/build/copy.h"

namespace berth::image::build {

namespace {

Result<UniqueFd> openIn(int rootFd, const std::string& rel, int flags) {
    return sys::openat2(rootFd, rel.empty() ? "." : rel, flags | O_CLOEXEC, RESOLVE_IN_ROOT);
}

Status copyData(int from, int to, const std::string& what) {
    for (;;) {
        ssize_t n = ::sendfile(to, from, nullptr, 1 << 30);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("copy {}", what);
        }
        if (n == 0) return {};
    }
}

// Removes what is at name unless it is a directory and a directory is wanted; a directory in
// the way of a non-directory must be empty.
Status clearFor(int dirFd, const std::string& name, bool wantDir, const std::string& what) {
    struct stat st;
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return {};
        return errnoError("stat {}", what);
    }
    if (S_ISDIR(st.st_mode)) {
        if (wantDir) return {};
        if (::unlinkat(dirFd, name.c_str(), AT_REMOVEDIR) < 0) {
            return errnoError("cannot overwrite directory {} with non-directory", what);
        }
        return {};
    }
    if (::unlinkat(dirFd, name.c_str(), 0) < 0) return errnoError("remove {}", what);
    return {};
}

class Applier {
public:
    explicit Applier(const ApplyOptions& o) : o_(o) {}

    mode_t modeOf(const struct stat& st) const {
        return o_.chmod ? static_cast<mode_t>(*o_.chmod) : (st.st_mode & 07777);
    }

    Status setMeta(int fd, const struct stat& st, const std::string& what) {
        if (::fchown(fd, o_.uid, o_.gid) < 0) return errnoError("chown {}", what);
        // After chown, which clears set-id bits.
        if (::fchmod(fd, modeOf(st)) < 0) return errnoError("chmod {}", what);
        struct timespec ts[2] = {st.st_mtim, st.st_mtim};
        if (::futimens(fd, ts) < 0) return errnoError("set times of {}", what);
        return {};
    }

    // One non-directory entry at dirFd/name.
    Status writeEntry(int srcRoot, int dirFd, const std::string& name, const CopyEntry& e,
                      const std::string& what) {
        TRY(clearFor(dirFd, name, false, what));
        const char* n = name.c_str();
        if (S_ISREG(e.st.st_mode)) {
            auto in =
                TRY_CTX(openIn(srcRoot, e.srcRel, O_RDONLY | O_NOFOLLOW), "open {}", e.srcRel);
            UniqueFd out(
                ::openat(dirFd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (!out) return errnoError("create {}", what);
            TRY(copyData(in.get(), out.get(), what));
            return setMeta(out.get(), e.st, what);
        }
        if (S_ISLNK(e.st.st_mode)) {
            if (::symlinkat(e.linkTarget.c_str(), dirFd, n) < 0) {
                return errnoError("symlink {}", what);
            }
            if (::fchownat(dirFd, n, o_.uid, o_.gid, AT_SYMLINK_NOFOLLOW) < 0) {
                return errnoError("chown {}", what);
            }
            struct timespec ts[2] = {e.st.st_mtim, e.st.st_mtim};
            if (::utimensat(dirFd, n, ts, AT_SYMLINK_NOFOLLOW) < 0) {
                return errnoError("set times of {}", what);
            }
            return {};
        }
        // fifo or device node
        if (::mknodat(dirFd, n, e.st.st_mode & (S_IFMT | 07777), e.st.st_rdev) < 0) {
            return errnoError("mknod {}", what);
        }
        UniqueFd fd(::openat(dirFd, n, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return errnoError("open {}", what);
        if (::fchownat(dirFd, n, o_.uid, o_.gid, AT_SYMLINK_NOFOLLOW) < 0) {
            return errnoError("chown {}", what);
        }
        if (::fchmodat(dirFd, n, modeOf(e.st), 0) < 0) return errnoError("chmod {}", what);
        struct timespec ts[2] = {e.st.st_mtim, e.st.st_mtim};
        if (::utimensat(dirFd, n, ts, AT_SYMLINK_NOFOLLOW) < 0) {
            return errnoError("set times of {}", what);
        }
        return {};
    }

    // A directory's tree into targetFd. Entries come parents first; directory times are set
    // once their contents are written.
    // The destination directory itself is not given the source directory's metadata: docker
    // creates it 0755 owned by the --chown user, and leaves an existing one alone.
    Status copyTree(int targetFd, const CopyItem& it) {
        struct Open {
            std::string rel;
            UniqueFd fd;
            const struct stat* st;
        };
        std::vector<Open> stack;
        auto finish = [&](Open& d) -> Status {
            if (d.rel.empty()) return {};
            struct timespec ts[2] = {d.st->st_mtim, d.st->st_mtim};
            if (::futimens(d.fd.get(), ts) < 0) return errnoError("set times of {}", d.rel);
            return {};
        };
        for (const auto& e : it.entries) {
            std::string what = it.dest + (e.destRel.empty() ? "" : "/" + e.destRel);
            if (e.destRel.empty()) {
                int fd = ::dup(targetFd);
                if (fd < 0) return errnoError("dup");
                stack.push_back({"", UniqueFd(fd), &e.st});
                continue;
            }
            auto slash = e.destRel.find_last_of('/');
            std::string parent = slash == std::string::npos ? "" : e.destRel.substr(0, slash);
            std::string name = e.destRel.substr(slash == std::string::npos ? 0 : slash + 1);
            while (!stack.empty() && stack.back().rel != parent) {
                TRY(finish(stack.back()));
                stack.pop_back();
            }
            if (stack.empty()) return invalid("copy {}: parent not copied first", what);
            int dirFd = stack.back().fd.get();
            if (S_ISDIR(e.st.st_mode)) {
                TRY(clearFor(dirFd, name, true, what));
                if (::mkdirat(dirFd, name.c_str(), 0700) < 0 && errno != EEXIST) {
                    return errnoError("mkdir {}", what);
                }
                UniqueFd sub(
                    ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!sub) return errnoError("open {}", what);
                TRY(setMeta(sub.get(), e.st, what));
                stack.push_back({e.destRel, std::move(sub), &e.st});
            } else {
                TRY(writeEntry(it.rootFd, dirFd, name, e, what));
            }
        }
        while (!stack.empty()) {
            TRY(finish(stack.back()));
            stack.pop_back();
        }
        return {};
    }

    // Decompressed by libarchive (gzip, bzip2, xz, zstd, ... as docker's ADD accepts), then
    // unpacked by the layer unpacker, which keeps every path inside the destination.
    Status extract(int targetFd, const CopyItem& it) {
        auto in = TRY_CTX(openIn(it.rootFd, it.entries[0].srcRel, O_RDONLY), "open {}",
                          it.entries[0].srcRel);
        std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_read_new(),
                                                                    archive_read_free);
        if (!a) return invalid("extract {}: archive_read_new failed", it.name);
        archive_read_support_filter_all(a.get());
        archive_read_support_format_raw(a.get());
        struct archive_entry* e = nullptr;
        if (archive_read_open_fd(a.get(), in.get(), 65536) != ARCHIVE_OK ||
            archive_read_next_header(a.get(), &e) != ARCHIVE_OK) {
            return invalid("extract {}: {}", it.name, archive_error_string(a.get()));
        }
        archive::ReadFn rd = [&a](void* buf, size_t n) -> Result<size_t> {
            la_ssize_t r = archive_read_data(a.get(), buf, n);
            if (r < 0) return invalid("decompress: {}", archive_error_string(a.get()));
            return static_cast<size_t>(r);
        };
        archive::UnpackOptions uo;
        uo.overlayWhiteouts = false;
        TRY_CTX(archive::unpackLayer(rd, sys::fdPath(targetFd), uo), "extract {} into {}", it.name,
                it.dest);
        return {};
    }

    Status apply(int rootFd, const CopyItem& it) {
        if (it.isDir || it.extract) {
            auto dir = TRY(mkdirAllIn(rootFd, it.dest, o_.uid, o_.gid));
            return it.isDir ? copyTree(dir.get(), it) : extract(dir.get(), it);
        }
        // A single file: into dest when it names a directory, else as dest.
        std::string target = it.dest;
        if (!it.destIsDir) {
            auto existing = openIn(rootFd, it.dest, O_PATH);
            struct stat st;
            if (existing && ::fstat(existing->get(), &st) == 0 && S_ISDIR(st.st_mode)) {
                target = (it.dest == "/" ? "" : it.dest) + "/" + it.name;
            }
        } else {
            target = (it.dest == "/" ? "" : it.dest) + "/" + it.name;
        }
        auto slash = target.find_last_of('/');
        std::string parent = slash == 0 ? "/" : target.substr(0, slash);
        auto dir = TRY(mkdirAllIn(rootFd, parent, o_.uid, o_.gid));
        return writeEntry(it.rootFd, dir.get(), target.substr(slash + 1), it.entries[0], target);
    }

private:
    const ApplyOptions& o_;
};

}  // namespace

Result<UniqueFd> mkdirAllIn(int rootFd, const std::string& absPath, uint32_t uid, uint32_t gid,
                            bool* createdLast) {
    auto cur = TRY_CTX(openIn(rootFd, "/", O_RDONLY | O_DIRECTORY), "open container root");
    std::string prefix;
    if (createdLast) *createdLast = false;
    size_t pos = 0;
    while (pos < absPath.size()) {
        size_t e = absPath.find('/', pos);
        if (e == std::string::npos) e = absPath.size();
        std::string comp = absPath.substr(pos, e - pos);
        pos = e + 1;
        if (comp.empty() || comp == ".") continue;
        prefix += "/" + comp;
        auto next = openIn(rootFd, prefix, O_RDONLY | O_DIRECTORY);
        bool created = false;
        if (!next && next.error().code == ENOENT) {
            if (::mkdirat(cur.get(), comp.c_str(), 0755) < 0 && errno != EEXIST) {
                return errnoError("mkdir {}", prefix);
            }
            created = true;
            next = openIn(rootFd, prefix, O_RDONLY | O_DIRECTORY);
            if (next) {
                if (::fchown(next->get(), uid, gid) < 0) return errnoError("chown {}", prefix);
                if (::fchmod(next->get(), 0755) < 0) return errnoError("chmod {}", prefix);
            }
        }
        if (!next) return std::move(next).error().wrap(fmt::format("mkdir {}", prefix));
        cur = std::move(*next);
        if (createdLast) *createdLast = created;
    }
    return cur;
}

Status applyCopy(const CopyPlan& plan, int destRootFd, const ApplyOptions& o) {
    Applier a(o);
    for (const auto& it : plan.items) TRY(a.apply(destRootFd, it));
    return {};
}

}  // namespace berth::image::build
