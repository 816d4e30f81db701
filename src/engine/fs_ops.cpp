// docker cp stat/get, diff and export (moby daemon/archive.go, container/archive.go); the init
// layer of berthd's own mount targets, which diff leaves out; the writable layer's size.
#include "engine/fs_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/scope_guard.h"
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

// ---- berthd's own mount targets (docker's init layer, moby daemon/initlayer) ----------------

// What every container gets mounted over: the sandbox files and the kernel filesystems' mount
// points. The runtime makes a missing one in the rootfs: an empty 0644 file, 0755 directories.
struct InitPath {
    std::string_view path;
    bool dir;
};
constexpr InitPath kInitPaths[] = {
    {"/dev/pts", true},
    {"/dev/shm", true},
    {"/proc", true},
    {"/sys", true},
    {"/etc/hosts", false},
    {"/etc/hostname", false},
    {"/etc/resolv.conf", false},
};

// Not mount targets: what docker's init layer also holds for programs that look for them (an
// empty 0755 /.dockerenv, "am I in a container"; /etc/mtab -> /proc/mounts). Unlike the targets,
// an image's own entry at the path stays visible: it is left out of the init layer then.
struct InitExtra {
    std::string_view path;
    std::string_view linkTarget;  // "": an empty file
};
constexpr InitExtra kInitExtras[] = {
    {"/.dockerenv", ""},
    {"/etc/mtab", "/proc/mounts"},
};

bool isInitFile(const std::string& path) {
    for (const auto& p : kInitPaths)
        if (!p.dir && p.path == path) return true;
    return false;
}

// A directory of the init layer: a target itself or a parent of one (/dev, /etc).
bool isInitDir(const std::string& path) {
    for (const auto& p : kInitPaths)
        if ((p.dir && p.path == path) ||
            (p.path.size() > path.size() && p.path.starts_with(path) && p.path[path.size()] == '/'))
            return true;
    return false;
}

// The lower layers' entry at a container path: the top-most one that has it, none when that
// is a whiteout. (Opaque directories between layers are not looked at: the paths asked for
// are one or two levels below the root.)
std::optional<struct stat> lowerStat(const std::vector<std::string>& lowerDirs,
                                     const std::string& path) {
    for (const auto& l : lowerDirs) {
        struct stat st;
        if (::lstat((l + path).c_str(), &st) != 0) continue;
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return std::nullopt;
        return st;
    }
    return std::nullopt;
}

// Drops from diff what is only berthd's mount targets (see changes() in fs_ops.h). diff is
// sorted by path, so what is below a directory comes after it.
std::vector<archive::Change> withoutInitTargets(const std::vector<archive::Change>& diff,
                                                const std::string& upperDir,
                                                const std::vector<std::string>& lowerDirs) {
    std::vector<bool> hidden(diff.size(), false);
    for (size_t i = diff.size(); i-- > 0;) {
        const auto& c = diff[i];
        struct stat st;
        if (c.kind == 'D' || ::lstat((upperDir + c.path).c_str(), &st) != 0) continue;
        if (!S_ISDIR(st.st_mode)) {
            hidden[i] =
                c.kind == 'A' && S_ISREG(st.st_mode) && st.st_size == 0 && isInitFile(c.path);
            continue;
        }
        if (!isInitDir(c.path)) continue;
        // Not sorted next to it ("/etc-x" < "/etc/a"): every later entry is looked at.
        bool below = false, allHidden = true;
        std::string prefix = c.path + "/";
        for (size_t j = i + 1; j < diff.size(); ++j) {
            if (!diff[j].path.starts_with(prefix)) continue;
            below = true;
            allHidden = allHidden && hidden[j];
        }
        if (!allHidden) continue;
        if (c.kind == 'A') {
            // Made by the runtime: 0755 less its umask.
            hidden[i] = (st.st_mode & 07777 & ~0755) == 0;
        } else {
            // Copied up to hold a target: changed only in its times (docker does not compare
            // a directory's times either).
            auto l = lowerStat(lowerDirs, c.path);
            hidden[i] = below && l && S_ISDIR(l->st_mode) && l->st_mode == st.st_mode &&
                        l->st_uid == st.st_uid && l->st_gid == st.st_gid;
        }
    }
    std::vector<archive::Change> out;
    for (size_t i = 0; i < diff.size(); ++i)
        if (!hidden[i]) out.push_back(diff[i]);
    return out;
}

// One entry of the init layer under tmp; like is the image's entry at that path, if any.
Status makeInitEntry(const std::string& tmp, const std::string& path, bool dir,
                     const std::optional<struct stat>& like) {
    std::string at = tmp + path;
    if (!dir) {
        auto fd = sys::open(at, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (!fd && fd.error().code == EEXIST) return {};
        if (!fd) return std::move(fd).error();
        if (::fchmod(fd->get(), 0644) < 0) return errnoError("chmod {}", at);  // past the umask
        return {};
    }
    bool mirror = like && S_ISDIR(like->st_mode);
    if (::mkdir(at.c_str(), 0755) < 0) {
        if (errno == EEXIST) return {};
        return errnoError("mkdir {}", at);
    }
    if (::chmod(at.c_str(), mirror ? like->st_mode & 07777 : 0755) < 0)
        return errnoError("chmod {}", at);
    if (mirror && ::lchown(at.c_str(), like->st_uid, like->st_gid) < 0)
        return errnoError("chown {}", at);
    return {};
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
    for (const auto& c : withoutInitTargets(diff, upperDir, lowerDirs)) {
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

Result<std::string> prepareInitLayer(const std::string& containerDir,
                                     const std::vector<std::string>& lowerDirs) {
    std::string dir = containerDir + "/init";
    struct stat st;
    if (::lstat(dir.c_str(), &st) == 0) return dir;  // made at an earlier start
    // Made aside and renamed into place: a start killed half-way leaves no partial layer.
    std::string tmp = dir + ".tmp";
    TRY_CTX(sys::removeAll(tmp), "init layer");
    TRY_CTX(sys::mkdir(tmp, 0755), "init layer");
    ScopeGuard dropTmp([&] { (void)sys::removeAll(tmp); });
    // Directories that mirror the image's get its times back once their entries are made
    // (making an entry sets the parent's mtime), deepest last in this list.
    std::vector<std::pair<std::string, struct stat>> times;
    for (const auto& p : kInitPaths) {
        std::string path(p.path);
        bool skip = false;
        for (size_t slash = path.find('/', 1); slash != std::string::npos;
             slash = path.find('/', slash + 1)) {
            std::string parent = path.substr(0, slash);
            auto like = lowerStat(lowerDirs, parent);
            if (like && !S_ISDIR(like->st_mode)) {
                skip = true;
                break;
            }
            bool made = ::access((tmp + parent).c_str(), F_OK) == 0;
            TRY_CTX(makeInitEntry(tmp, parent, true, like), "init layer");
            if (!made && like) times.emplace_back(parent, *like);
        }
        if (skip) continue;
        auto like = lowerStat(lowerDirs, path);
        TRY_CTX(makeInitEntry(tmp, path, p.dir, like), "init layer");
        if (p.dir && like && S_ISDIR(like->st_mode)) times.emplace_back(path, *like);
    }
    for (const auto& x : kInitExtras) {
        std::string path(x.path);
        if (lowerStat(lowerDirs, path)) continue;  // the image's own
        // The parent was made above as the targets' (/etc), unless the image has it as a
        // non-directory: nothing then. Everything here is under tmp, which berthd just made.
        std::string parent = path.substr(0, path.rfind('/'));
        struct stat pst;
        if (!parent.empty() &&
            (::lstat((tmp + parent).c_str(), &pst) != 0 || !S_ISDIR(pst.st_mode)))
            continue;
        std::string at = tmp + path;
        if (!x.linkTarget.empty()) {
            if (::symlink(std::string(x.linkTarget).c_str(), at.c_str()) < 0)
                return errnoError("init layer: symlink {}", at);
            continue;
        }
        auto fd = TRY_CTX(sys::open(at, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0755),
                          "init layer");
        if (::fchmod(fd.get(), 0755) < 0) return errnoError("init layer: chmod {}", at);
    }
    for (auto it = times.rbegin(); it != times.rend(); ++it) {
        struct timespec ts[2] = {it->second.st_atim, it->second.st_mtim};
        if (::utimensat(AT_FDCWD, (tmp + it->first).c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0)
            return errnoError("init layer: set times of {}{}", tmp, it->first);
    }
    if (::rename(tmp.c_str(), dir.c_str()) < 0) return errnoError("init layer: rename {}", tmp);
    dropTmp.cancel();
    return dir;
}

int64_t layerSize(const std::string& dir) {
    int64_t total = 0;
    std::set<std::pair<dev_t, ino_t>> seen;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             dir, std::filesystem::directory_options::skip_permission_denied, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        struct stat st;
        if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode) || st.st_size == 0)
            continue;
        if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
        total += st.st_size;
    }
    return total;
}

}  // namespace berth::engine
