// docker cp stat/get, diff and export (moby daemon/archive.go, container/archive.go).
#include "engine/fs_ops.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <set>

#include <nlohmann/json.hpp>

#include "common/sys.h"
#include "engine/fs_ops_internal.h"
#include "image/archive/archive.h"

namespace berth::engine {

namespace {

using namespace fsops;
namespace archive = image::archive;

// Go's os.FileMode from st_mode (what docker's ContainerPathStat.Mode carries).
uint32_t goFileMode(mode_t m) {
    uint32_t out = m & 0777;
    switch (m & S_IFMT) {
        case S_IFBLK:
            out |= 1u << 26;
            break;  // ModeDevice
        case S_IFCHR:
            out |= (1u << 26) | (1u << 21);
            break;  // ModeDevice | ModeCharDevice
        case S_IFDIR:
            out |= 1u << 31;
            break;  // ModeDir
        case S_IFIFO:
            out |= 1u << 25;
            break;  // ModeNamedPipe
        case S_IFLNK:
            out |= 1u << 27;
            break;  // ModeSymlink
        case S_IFSOCK:
            out |= 1u << 24;
            break;  // ModeSocket
        default:
            break;
    }
    if (m & S_ISUID) out |= 1u << 23;
    if (m & S_ISGID) out |= 1u << 22;
    if (m & S_ISVTX) out |= 1u << 20;
    return out;
}

// Go's time.Time JSON form (RFC 3339, nanoseconds with trailing zeros dropped), in UTC.
std::string rfc3339Nano(const struct timespec& ts) {
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string frac = fmt::format("{:09d}", ts.tv_nsec);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return std::string(buf) + (frac.empty() ? "" : "." + frac) + "Z";
}

// A path as docker's cp sees it: its directory resolved inside the root, its last element
// not followed.
struct Target {
    std::string path;         // as asked
    std::string abs;          // absPath(path)
    std::string resolvedDir;  // container path of the directory, symlinks resolved
    std::string base;         // last element; "" or "." for the directory itself
    UniqueFd dirFd;           // O_PATH of resolvedDir
    struct stat st {};        // lstat of the target
    bool self() const { return base.empty() || base == "."; }
    std::string resolved() const {
        if (self()) return resolvedDir;
        return resolvedDir == "/" ? "/" + base : resolvedDir + "/" + base;
    }
};

Result<Target> locate(int rootFd, const std::string& path) {
    Target t;
    t.path = path;
    t.abs = absPath(path);
    auto [dir, base] = splitPath(t.abs);
    t.base = base;
    t.resolvedDir = TRY(resolveInScope(rootFd, dir));
    auto fd = openInRoot(rootFd, t.resolvedDir, O_PATH | O_DIRECTORY);
    if (!fd) {
        if (fd.error().code == ENOENT) return notFound(path);
        return std::move(fd).error().wrap(fmt::format("open {}", t.resolvedDir));
    }
    t.dirFd = std::move(*fd);
    int rc = t.self() ? ::fstat(t.dirFd.get(), &t.st)
                      : ::fstatat(t.dirFd.get(), t.base.c_str(), &t.st, AT_SYMLINK_NOFOLLOW);
    if (rc < 0) {
        if (errno == ENOENT) return notFound(path);
        return errnoError("stat {}", t.resolved());
    }
    return t;
}

Result<std::string> statJson(int rootFd, const std::string& path) {
    Target t = TRY(locate(rootFd, path));
    std::string linkTarget;
    if (S_ISLNK(t.st.st_mode)) linkTarget = TRY(resolveInScope(rootFd, t.abs));
    nlohmann::ordered_json j = {{"name", baseName(t.abs)},
                                {"size", static_cast<int64_t>(t.st.st_size)},
                                {"mode", goFileMode(t.st.st_mode)},
                                {"mtime", rfc3339Nano(t.st.st_mtim)},
                                {"linkTarget", linkTarget}};
    // Names need not be UTF-8: bad bytes become U+FFFD as Go's encoding/json does (a plain
    // dump() would throw).
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

archive::SinkFn sinkOf(const WriteFn& out) {
    return [&out](const void* data, size_t n) {
        return out(std::string_view(static_cast<const char*>(data), n));
    };
}

Status archiveTarget(int rootFd, const std::string& path, const WriteFn& out) {
    Target t = TRY(locate(rootFd, path));
    archive::TarOptions o;
    UniqueFd fd;
    if (S_ISDIR(t.st.st_mode)) {
        // The directory's own entry and everything below, renamed to the asked name ("." and
        // "/" included, as docker's rebase does).
        fd = TRY(openInRoot(rootFd, t.resolved(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        o.prefix = baseName(t.abs);
    } else {
        // One entry: the parent walked with everything but the target left out.
        fd = std::move(t.dirFd);
        o.exclude = [base = t.base](const std::string& rel, bool) { return rel != base; };
    }
    auto r = archive::writeTar(sys::fdPath(fd.get()), sinkOf(out), archive::Compression::None, o);
    if (!r) return std::move(r).error().wrap(fmt::format("archive {}", path));
    return {};
}

// Mount points strictly below dir in this mount namespace, relative to dir.
std::set<std::string> mountsBelow(const std::string& dir) {
    std::set<std::string> out;
    auto info = sys::readFile("/proc/self/mountinfo");
    if (!info) return out;
    std::string prefix = dir.ends_with('/') ? dir : dir + "/";
    size_t pos = 0;
    while (pos < info->size()) {
        size_t nl = info->find('\n', pos);
        std::string line = info->substr(pos, nl == std::string::npos ? nl : nl - pos);
        pos = nl == std::string::npos ? info->size() : nl + 1;
        // id parent major:minor root mountpoint ...; octal escapes (\040) in names.
        size_t f = 0;
        for (int i = 0; i < 4 && f != std::string::npos; ++i) f = line.find(' ', f + 1);
        if (f == std::string::npos) continue;
        size_t end = line.find(' ', f + 1);
        std::string raw = line.substr(f + 1, end - f - 1), mp;
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\\' && i + 3 < raw.size()) {
                mp += static_cast<char>(std::stoi(raw.substr(i + 1, 3), nullptr, 8));
                i += 3;
            } else {
                mp += raw[i];
            }
        }
        if (mp.starts_with(prefix)) out.insert(mp.substr(prefix.size()));
    }
    return out;
}

}  // namespace

Result<std::string> pathStat(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                             const std::string& path) {
    std::string out;
    TRY(withRoot(rootfsDir, mounts, [&](int rootFd) -> Status {
        out = TRY(statJson(rootFd, path));
        return {};
    }));
    return out;
}

Status getArchive(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                  const std::string& path, const WriteFn& out) {
    return withRoot(rootfsDir, mounts,
                    [&](int rootFd) { return archiveTarget(rootFd, path, out); });
}

Result<std::string> changes(const std::string& upperDir,
                            const std::vector<std::string>& lowerDirs) {
    auto diff = TRY(archive::diffUpper(upperDir, lowerDirs));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : diff) {
        int kind = c.kind == 'C' ? 0 : c.kind == 'A' ? 1 : 2;
        out.push_back({{"Path", c.path}, {"Kind", kind}});
    }
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status exportRootfs(const std::string& rootfsDir, const WriteFn& out) {
    std::string real = rootfsDir;
    if (char* p = ::realpath(rootfsDir.c_str(), nullptr)) {
        real = p;
        ::free(p);
    }
    archive::TarOptions o;
    auto skip = mountsBelow(real);
    if (!skip.empty()) {
        o.exclude = [skip = std::move(skip)](const std::string& rel, bool) {
            return skip.count(rel) != 0;
        };
    }
    auto r = archive::writeTar(real, sinkOf(out), archive::Compression::None, o);
    if (!r) return std::move(r).error().wrap("export");
    return {};
}

}  // namespace berth::engine
