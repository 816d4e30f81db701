// Path handling confined to a root directory: every lookup goes through openat2 with
// RESOLVE_IN_ROOT, so "..", absolute symlinks and symlinks to "/" all stay inside the root.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <algorithm>

#include "common/sys.h"
#include "image/archive/internal.h"

namespace berth::image::archive::detail {

Result<std::string> cleanEntryPath(std::string_view name, bool clampAtRoot) {
    std::vector<std::string_view> parts;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t end = name.find('/', pos);
        if (end == std::string_view::npos) end = name.size();
        std::string_view c = name.substr(pos, end - pos);
        pos = end + 1;
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (parts.empty()) {
                if (clampAtRoot) continue;
                return invalid("path escapes the layer root");
            }
            parts.pop_back();
            continue;
        }
        parts.push_back(c);
    }
    std::string out;
    for (auto p : parts) {
        if (!out.empty()) out += '/';
        out += p;
    }
    return out;
}

std::pair<std::string, std::string> splitParent(const std::string& rel) {
    size_t slash = rel.rfind('/');
    if (slash == std::string::npos) return {"", rel};
    return {rel.substr(0, slash), rel.substr(slash + 1)};
}

Result<SafeRoot> SafeRoot::open(const std::string& dir) {
    auto fd = TRY(sys::open(dir, O_PATH | O_DIRECTORY));
    return SafeRoot(std::move(fd));
}

Result<UniqueFd> SafeRoot::openIn(const std::string& rel, int flags) const {
    return sys::openat2(fd_.get(), rel.empty() ? "." : rel, flags,
                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

Result<UniqueFd> SafeRoot::openDir(const std::string& rel, bool create) const {
    return openDir(rel, create, 0);
}

Result<UniqueFd> SafeRoot::openDir(const std::string& rel, bool create, int depth) const {
    constexpr int kFlags = O_PATH | O_DIRECTORY;
    auto r = openIn(rel, kFlags);
    if (r || !create || r.error().code != ENOENT) return r;
    if (depth > kMaxSymlinks) return makeError(ELOOP, "open {}", rel);
    // Slow path: walk down, making what is missing. Each prefix is reopened through the root
    // so symlinks met on the way are still resolved inside it.
    UniqueFd cur = TRY(openIn("", kFlags));
    std::string prefix;
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t end = std::min(rel.find('/', pos), rel.size());
        std::string comp = rel.substr(pos, end - pos);
        pos = end + 1;
        std::string parent = prefix;
        prefix += (prefix.empty() ? "" : "/") + comp;
        auto next = openIn(prefix, kFlags);
        if (!next && next.error().code == ENOENT) {
            if (::mkdirat(cur.get(), comp.c_str(), 0755) < 0) {
                if (errno != EEXIST) return errnoError("mkdir {}", prefix);
                // A dangling symlink: its target is made, inside the root (as `mkdir -p`
                // through the link would, if "/" were the root).
                TRY(makeLinkTarget(cur.get(), parent, comp, depth));
            }
            next = openIn(prefix, kFlags);
        }
        if (!next) return std::move(next).error();
        cur = std::move(*next);
    }
    return cur;
}

Status SafeRoot::makeLinkTarget(int dirFd, const std::string& parent, const std::string& name,
                                int depth) const {
    std::string target(4096, '\0');
    ssize_t n = ::readlinkat(dirFd, name.c_str(), target.data(), target.size());
    if (n < 0) return errno == EINVAL ? okStatus() : errnoError("readlink {}", name);
    if (static_cast<size_t>(n) == target.size())
        return makeError(ENAMETOOLONG, "readlink {}", name);
    target.resize(static_cast<size_t>(n));
    // Resolved lexically against the parent's path, ".." stopping at the root like
    // RESOLVE_IN_ROOT does.
    std::string joined = target.starts_with('/') ? target : parent + "/" + target;
    auto resolved = cleanEntryPath(joined, true);
    if (!resolved) return std::move(resolved).error();
    TRY(openDir(*resolved, true, depth + 1));
    return {};
}

Result<std::vector<std::string>> listDir(int dirfd) {
    UniqueFd fd(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return errnoError("open directory");
    DIR* d = ::fdopendir(fd.get());
    if (!d) return errnoError("fdopendir");
    fd.release();  // closedir closes it
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* de = ::readdir(d)) {
        std::string_view n = de->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
        errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err) return Error{err, "read directory"};
    std::sort(names.begin(), names.end());
    return names;
}

Result<bool> lstatAt(int dirfd, const std::string& name, struct stat& st) {
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
    if (errno == ENOENT) return false;
    return errnoError("lstat {}", name);
}

Status removeAt(int dirfd, const std::string& name) {
    if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
    if (errno != EISDIR) return errnoError("remove {}", name);
    UniqueFd d(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) return errno == ENOENT ? okStatus() : errnoError("open {}", name);
    auto names = TRY_CTX(listDir(d.get()), "remove {}", name);
    for (const auto& n : names) TRY_CTX(removeAt(d.get(), n), "{}", name);
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return errnoError("remove {}", name);
    return {};
}

std::string procPath(int dirfd, const std::string& name) {
    return fmt::format("/proc/self/fd/{}/{}", dirfd, name);
}

}  // namespace berth::image::archive::detail
