// COPY/ADD planning: source globs, the walk (with .dockerignore), the content hash.
#include "image/build/copy.h"

#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <algorithm>

#include "common/sys.h"
#include "image/digest.h"

namespace berth::image::build {

namespace {

Result<std::vector<std::string>> listDir(int dirFd) {
    int fd = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errnoError("open directory");
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return errnoError("fdopendir");
    }
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

std::string join(const std::string& a, const std::string& b) {
    if (a.empty() || a == ".") return b;
    return a + "/" + b;
}

std::string baseName(const std::string& p) {
    auto s = p.find_last_of('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

// The real path of fd relative to the root's real path ("" for the root itself).
Result<std::string> realRel(int rootFd, int fd) {
    std::string root = TRY(sys::readlink(sys::fdPath(rootFd)));
    std::string p = TRY(sys::readlink(sys::fdPath(fd)));
    if (p == root) return std::string();
    if (root == "/") return p.substr(1);
    if (!p.starts_with(root + "/")) return invalid("{} is outside of {}", p, root);
    return p.substr(root.size() + 1);
}

Result<UniqueFd> openIn(int rootFd, const std::string& rel, int flags) {
    return sys::openat2(rootFd, rel.empty() ? "." : rel, flags | O_CLOEXEC, RESOLVE_IN_ROOT);
}

// Expands a cleaned relative source path with wildcards component by component; entries the
// .dockerignore excludes do not exist.
Status expandGlob(const CopySource& src, const std::vector<std::string>& comps, size_t i,
                  const std::string& prefix, std::vector<std::string>& out) {
    if (i == comps.size()) {
        out.push_back(prefix);
        return {};
    }
    if (!hasWildcards(comps[i])) {
        return expandGlob(src, comps, i + 1, join(prefix, comps[i]), out);
    }
    auto dir = openIn(src.rootFd, prefix, O_RDONLY | O_DIRECTORY);
    if (!dir) return {};  // not a directory: nothing matches below it
    for (const auto& name : TRY(listDir(dir->get()))) {
        if (::fnmatch(comps[i].c_str(), name.c_str(), 0) != 0) continue;
        std::string p = join(prefix, name);
        if (src.ignore && src.ignore->excluded(p)) continue;
        TRY(expandGlob(src, comps, i + 1, p, out));
    }
    return {};
}

struct Walker {
    const CopySource& src;
    std::vector<CopyEntry>& out;

    Status walk(int dirFd, const std::string& srcRel, const std::string& destRel) {
        for (const auto& name : TRY(listDir(dirFd))) {
            CopyEntry e;
            e.srcRel = join(srcRel, name);
            e.destRel = join(destRel, name);
            if (::fstatat(dirFd, name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) < 0) {
                return errnoError("stat {}", e.srcRel);
            }
            bool isDir = S_ISDIR(e.st.st_mode);
            if (src.ignore && src.ignore->excluded(e.srcRel)) {
                // Docker descends into an excluded directory only when an exception pattern
                // may re-include something below it.
                if (!isDir || !src.ignore->mayReinclude(e.srcRel)) continue;
            }
            if (S_ISLNK(e.st.st_mode)) {
                char buf[PATH_MAX];
                ssize_t n = ::readlinkat(dirFd, name.c_str(), buf, sizeof buf);
                if (n < 0) return errnoError("readlink {}", e.srcRel);
                e.linkTarget.assign(buf, static_cast<size_t>(n));
            } else if (!isDir && !S_ISREG(e.st.st_mode) && !S_ISFIFO(e.st.st_mode) &&
                       !S_ISCHR(e.st.st_mode) && !S_ISBLK(e.st.st_mode)) {
                continue;  // sockets: not copyable
            }
            std::string s = e.srcRel, d = e.destRel;
            out.push_back(std::move(e));
            if (isDir) {
                UniqueFd sub(
                    ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!sub) return errnoError("open {}", s);
                TRY(walk(sub.get(), s, d));
            }
        }
        return {};
    }
};

// A tar archive (any compression libarchive knows) that ADD extracts.
bool isArchive(int fd) {
    struct archive* a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    bool ok = false;
    int dupFd = ::dup(fd);  // libarchive reads from the current offset; keep ours at 0
    if (dupFd >= 0 && ::lseek(dupFd, 0, SEEK_SET) == 0 &&
        archive_read_open_fd(a, dupFd, 16384) == ARCHIVE_OK) {
        struct archive_entry* e;
        ok = archive_read_next_header(a, &e) == ARCHIVE_OK;
    }
    archive_read_free(a);
    if (dupFd >= 0) ::close(dupFd);
    return ok;
}

Status hashFile(int rootFd, const std::string& rel, Sha256& h) {
    auto fd = TRY_CTX(openIn(rootFd, rel, O_RDONLY | O_NOFOLLOW), "open {}", rel);
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("read {}", rel);
        }
        if (n == 0) break;
        h.update(buf, static_cast<size_t>(n));
    }
    return {};
}

// Content and metadata (not owners or mtimes: those are replaced or do not matter, as in
// docker's cache) of everything the plan copies.
Result<std::string> hashPlan(const CopyPlan& plan) {
    Sha256 h;
    for (const auto& it : plan.items) {
        h.update(fmt::format("item {} dir={} extract={}\n", it.name, it.isDir, it.extract));
        for (const auto& e : it.entries) {
            h.update(fmt::format("{}\n{:o} {} {} {}\n", e.destRel, e.st.st_mode, e.st.st_size,
                                 e.st.st_rdev, e.linkTarget));
            if (S_ISREG(e.st.st_mode)) {
                Sha256 fh;
                TRY(hashFile(it.rootFd, e.srcRel, fh));
                h.update(fh.finish().hex + "\n");
            }
        }
    }
    std::string kind = plan.items.size() != 1 ? "multi" : plan.items[0].isDir ? "dir" : "file";
    return kind + ":" + h.finish().hex;
}

}  // namespace

bool hasWildcards(std::string_view s) {
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '*' || s[i] == '?' || s[i] == '[') {
            return true;
        }
    }
    return false;
}

Result<CopyPlan> planCopy(const CopySource& src, const CopyOptions& o) {
    CopyPlan plan;
    std::string dest = o.dest;
    bool destIsDir = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
    if (!dest.starts_with('/')) dest = join(o.workdir.empty() ? "/" : o.workdir, dest);
    dest = cleanPath("/" + dest);

    for (const auto& raw : o.sources) {
        std::string rel = cleanPath(raw);
        if (rel.starts_with('/')) rel = cleanPath(rel.substr(1));
        if (rel == ".." || rel.starts_with("../")) {
            return invalid("forbidden path outside the build context: {}", raw);
        }
        std::vector<std::string> matches;
        if (hasWildcards(rel)) {
            std::vector<std::string> comps;
            for (size_t p = 0; p < rel.size();) {
                size_t e = rel.find('/', p);
                if (e == std::string::npos) e = rel.size();
                comps.push_back(rel.substr(p, e - p));
                p = e + 1;
            }
            TRY(expandGlob(src, comps, 0, "", matches));
            if (matches.empty()) return invalid("no source files were specified");
        } else {
            matches.push_back(rel == "." ? "" : rel);
        }
        for (const auto& m : matches) {
            auto fd = openIn(src.rootFd, m, O_PATH);
            if (!fd || (src.ignore && !m.empty() && src.ignore->excluded(m))) {
                return invalid(
                    "file not found in build context or excluded by .dockerignore: "
                    "stat {}: file does not exist",
                    m.empty() ? "." : m);
            }
            CopyItem it;
            it.rootFd = src.rootFd;
            it.name = m.empty() ? "." : baseName(m);
            it.dest = dest;
            it.destIsDir = destIsDir;
            CopyEntry top;
            top.srcRel = TRY(realRel(src.rootFd, fd->get()));
            if (::fstat(fd->get(), &top.st) < 0) return errnoError("stat {}", m);
            if (S_ISDIR(top.st.st_mode)) {
                it.isDir = true;
                auto dir = TRY_CTX(openIn(src.rootFd, top.srcRel, O_RDONLY | O_DIRECTORY), "{}", m);
                Walker w{src, it.entries};
                TRY_CTX(w.walk(dir.get(), top.srcRel, ""), "copy {}", m);
                it.entries.insert(it.entries.begin(), top);  // the directory itself (destRel "")
            } else if (S_ISREG(top.st.st_mode)) {
                if (o.add) {
                    auto rd = TRY_CTX(openIn(src.rootFd, top.srcRel, O_RDONLY), "{}", m);
                    it.extract = isArchive(rd.get());
                }
                it.entries.push_back(top);
            } else {
                return invalid("{}: not a regular file or directory", m);
            }
            plan.items.push_back(std::move(it));
        }
    }
    bool many = plan.items.size() > 1;
    if (many && !destIsDir) {
        return invalid(
            "When using {} with more than one source file, the destination must be a "
            "directory and end with a /",
            o.add ? "ADD" : "COPY");
    }
    plan.sourceHash = TRY(hashPlan(plan));
    return plan;
}

Result<CopyPlan> mergePlans(std::vector<CopyPlan> plans, bool destIsDir, bool add) {
    if (plans.size() == 1) return std::move(plans[0]);
    CopyPlan out;
    for (auto& p : plans) {
        for (auto& it : p.items) out.items.push_back(std::move(it));
    }
    if (out.items.size() > 1 && !destIsDir) {
        return invalid(
            "When using {} with more than one source file, the destination must be a "
            "directory and end with a /",
            add ? "ADD" : "COPY");
    }
    out.sourceHash = TRY(hashPlan(out));
    return out;
}

}  // namespace berth::image::build
