#include "runtime/rootfs/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "common/sys.h"

namespace berth::rootfs {

std::string cleanRelative(std::string_view path) {
    std::vector<std::string_view> parts;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string_view::npos) next = path.size();
        std::string_view c = path.substr(pos, next - pos);
        pos = next + 1;
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(c);
    }
    std::string out;
    for (auto c : parts) {
        if (!out.empty()) out += '/';
        out += c;
    }
    return out;
}

std::vector<std::string> splitPath(std::string_view cleaned) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < cleaned.size()) {
        size_t next = cleaned.find('/', pos);
        if (next == std::string_view::npos) next = cleaned.size();
        out.emplace_back(cleaned.substr(pos, next - pos));
        pos = next + 1;
    }
    return out;
}

Result<UniqueFd> openInRoot(int rootfd, std::string_view path, int flags) {
    std::string rel = cleanRelative(path);
    if (flags == 0) flags = O_PATH;
    return sys::openat2(rootfd, rel.empty() ? "." : rel, static_cast<uint64_t>(flags),
                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

namespace {

Status checkKind(const UniqueFd& fd, const std::string& path, Kind want) {
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return errnoError("stat {}", path);
    bool dir = S_ISDIR(st.st_mode);
    if (want == Kind::Dir && !dir) return makeError(ENOTDIR, "{} is not a directory", path);
    if (want == Kind::File && dir) {
        return makeError(EISDIR, "{} is a directory but the source is not", path);
    }
    return {};
}

}  // namespace

namespace {

// Where an fd inside the root is, relative to the root ("" for the root itself).
Result<std::string> pathInRoot(int rootfd, int fd) {
    std::string root = TRY(sys::readlink(sys::fdPath(rootfd)));
    std::string at = TRY(sys::readlink(sys::fdPath(fd)));
    if (root == "/") return cleanRelative(at);
    if (at == root) return std::string();
    if (at.compare(0, root.size() + 1, root + "/") != 0) {
        return makeError(EXDEV, "{} is outside the rootfs {}", at, root);
    }
    return cleanRelative(at.substr(root.size()));
}

}  // namespace

Result<UniqueFd> mkdirAllInRoot(int rootfd, std::string_view path, Kind last, mode_t mode) {
    std::string clean = cleanRelative(path);
    const std::string shown = "/" + clean;
    for (int hops = 0;; ++hops) {
        // A dangling symlink on the way restarts the walk with its target spliced in (the
        // target is created inside the root, where the container would see it).
        if (hops > 40) return makeError(ELOOP, "resolve {} in rootfs: too many symlinks", shown);
        auto parts = splitPath(clean);
        UniqueFd cur = TRY(openInRoot(rootfd, "", O_PATH | O_DIRECTORY));
        if (parts.empty()) {
            TRY(checkKind(cur, shown, last));
            return cur;
        }
        std::string prefix, restart;
        for (size_t i = 0; i < parts.size() && restart.empty(); ++i) {
            bool isLast = i + 1 == parts.size();
            Kind kind = isLast ? last : Kind::Dir;
            prefix += (i ? "/" : "") + parts[i];
            auto r = openInRoot(rootfd, prefix);
            if (!r && r.error().code == ENOENT) {
                // Created relative to the resolved parent fd, never by string from the root.
                const char* name = parts[i].c_str();
                int rc = kind == Kind::Dir ? ::mkdirat(cur.get(), name, mode)
                                           : ::mknodat(cur.get(), name, S_IFREG | 0644, 0);
                if (rc < 0 && errno != EEXIST) return errnoError("create /{}", prefix);
                r = openInRoot(rootfd, prefix);
                if (!r && r.error().code == ENOENT) {
                    char buf[4096];
                    ssize_t n = ::readlinkat(cur.get(), name, buf, sizeof buf);
                    if (n < 0) return makeError(ENOENT, "resolve /{} in rootfs", prefix);
                    std::string target(buf, static_cast<size_t>(n));
                    std::string base = target[0] == '/' ? "" : TRY(pathInRoot(rootfd, cur.get()));
                    restart = base + "/" + target;
                    for (size_t j = i + 1; j < parts.size(); ++j) restart += "/" + parts[j];
                    continue;
                }
            }
            if (!r) return std::move(r).error().wrap(fmt::format("resolve {} in rootfs", shown));
            TRY(checkKind(*r, "/" + prefix, kind));
            cur = std::move(*r);
        }
        if (restart.empty()) return cur;
        clean = cleanRelative(restart);
    }
}

Result<uint64_t> mountId(int fd) {
    struct statx stx = {};
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0) {
        return errnoError("statx");
    }
    if (!(stx.stx_mask & STATX_MNT_ID)) return makeError(ENOTSUP, "statx: no mount id");
    return uint64_t{stx.stx_mnt_id};
}

Result<UniqueFd> reopenMounted(int rootfd, std::string_view path, int before) {
    UniqueFd fd = TRY(openInRoot(rootfd, path));
    uint64_t a = TRY(mountId(before)), b = TRY(mountId(fd.get()));
    if (a == b) {
        return makeError(EXDEV, "/{} is not the mount just made (destination changed?)",
                         cleanRelative(path));
    }
    return fd;
}

}  // namespace berth::rootfs
