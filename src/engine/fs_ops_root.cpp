// The container's filesystem as cp sees it: rootfs plus mounts (in a private mount namespace
// of a helper thread), and docker's path rules (moby container/archive.go, pkg/symlink).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <thread>

#include "common/sys.h"
#include "engine/fs_ops_internal.h"

namespace berth::engine::fsops {

namespace {

constexpr int kMaxLinks = 255;

std::vector<std::string> components(const std::string& p) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= p.size()) {
        size_t end = std::min(p.find('/', pos), p.size());
        if (end > pos) out.push_back(p.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

std::string joinAbs(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& c : parts) out += "/" + c;
    return out.empty() ? "/" : out;
}

Result<std::string> readLinkAt(int dirFd, const std::string& name) {
    std::string buf(256, '\0');
    for (;;) {
        ssize_t n = ::readlinkat(dirFd, name.c_str(), buf.data(), buf.size());
        if (n < 0) return errnoError("readlink {}", name);
        if (static_cast<size_t>(n) < buf.size()) return buf.substr(0, static_cast<size_t>(n));
        buf.resize(buf.size() * 2);
    }
}

// The mount point for a mount, created like `mkdir -p` (a file for a file source), inside the
// root so a symlink in the rootfs cannot send it elsewhere.
Status ensureMountPoint(int rootFd, const std::string& dest, bool dir) {
    if (openInRoot(rootFd, dest, O_PATH)) return {};
    auto parts = components(dest);
    if (parts.empty()) return {};
    UniqueFd cur = TRY(openInRoot(rootFd, "/", O_PATH | O_DIRECTORY));
    std::vector<std::string> done;
    for (size_t i = 0; i < parts.size(); ++i) {
        done.push_back(parts[i]);
        bool last = i + 1 == parts.size();
        auto next = openInRoot(rootFd, joinAbs(done), O_PATH | (last ? 0 : O_DIRECTORY));
        if (!next && next.error().code == ENOENT) {
            if (last && !dir) {
                UniqueFd f(::openat(cur.get(), parts[i].c_str(),
                                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
                if (!f && errno != EEXIST) return errnoError("create mount point {}", dest);
            } else if (::mkdirat(cur.get(), parts[i].c_str(), 0755) < 0 && errno != EEXIST) {
                return errnoError("create mount point {}", dest);
            }
            next = openInRoot(rootFd, joinAbs(done), O_PATH | (last ? 0 : O_DIRECTORY));
        }
        if (!next) return std::move(next).error().wrap(fmt::format("mount point {}", dest));
        cur = std::move(*next);
    }
    return {};
}

Status bindMounts(int rootFd, std::vector<MountMap> mounts) {
    for (auto& m : mounts) m.destination = cleanAbs(m.destination);
    // Parents before children, as the runtime mounts them.
    std::stable_sort(mounts.begin(), mounts.end(), [](const MountMap& a, const MountMap& b) {
        return components(a.destination).size() < components(b.destination).size();
    });
    for (const auto& m : mounts) {
        struct stat st;
        if (::stat(m.source.c_str(), &st) < 0) return errnoError("mount source {}", m.source);
        TRY(ensureMountPoint(rootFd, m.destination, S_ISDIR(st.st_mode)));
        // Through the fd: the destination as resolved inside the root, whatever it links to.
        auto target = TRY(openInRoot(rootFd, m.destination, O_PATH));
        if (::mount(m.source.c_str(), sys::fdPath(target.get()).c_str(), nullptr, MS_BIND | MS_REC,
                    nullptr) < 0)
            return errnoError("bind {} on {}", m.source, m.destination);
        if (m.readOnly) {
            auto top = TRY(openInRoot(rootFd, m.destination, O_PATH));
            if (::mount(nullptr, sys::fdPath(top.get()).c_str(), nullptr,
                        MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0)
                return errnoError("remount {} read-only", m.destination);
        }
    }
    return {};
}

Status inPrivateNamespace(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                          const std::function<Status(int rootFd)>& fn) {
    // CLONE_FS too: a thread may only leave the mount namespace with its own fs_struct.
    if (::unshare(CLONE_FS | CLONE_NEWNS) < 0)
        return errnoError("unshare the mount namespace for {}", rootfsDir);
    // Nothing bound here may propagate back to the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0)
        return errnoError("make / a slave mount");
    auto root = TRY(sys::open(rootfsDir, O_PATH | O_DIRECTORY));
    TRY(bindMounts(root.get(), mounts));
    return fn(root.get());
}

}  // namespace

Status withRoot(const std::string& rootfsDir, const std::vector<MountMap>& mounts,
                const std::function<Status(int rootFd)>& fn) {
    if (mounts.empty()) {
        auto root = TRY(sys::open(rootfsDir, O_PATH | O_DIRECTORY));
        return fn(root.get());
    }
    // A thread of its own: its namespace (and every bind in it) ends when it exits, and no
    // other thread of the daemon ever sees it.
    Status result;
    std::thread t([&] { result = inPrivateNamespace(rootfsDir, mounts, fn); });
    t.join();
    return result;
}

std::string cleanAbs(const std::string& p) {
    std::vector<std::string> parts;
    for (auto& c : components(p)) {
        if (c == ".") continue;
        if (c == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(std::move(c));
    }
    return joinAbs(parts);
}

std::string absPath(const std::string& p) {
    std::string out = cleanAbs(p);
    std::string trimmed = p;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    if (trimmed == "." || trimmed.ends_with("/.")) out += out.ends_with('/') ? "." : "/.";
    if (!out.ends_with('/') && p.ends_with('/')) out += '/';
    return out;
}

std::pair<std::string, std::string> splitPath(const std::string& abs) {
    size_t slash = abs.rfind('/');
    if (slash == std::string::npos) return {"", abs};
    return {abs.substr(0, slash + 1), abs.substr(slash + 1)};
}

std::string baseName(const std::string& abs) {
    std::string p = abs;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (p == "/") return "/";
    if (p.empty()) return ".";
    return p.substr(p.rfind('/') + 1);
}

Result<UniqueFd> openInRoot(int rootFd, const std::string& path, int flags) {
    return sys::openat2(rootFd, path.empty() ? "/" : path, static_cast<uint64_t>(flags),
                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

Result<std::string> resolveInScope(int rootFd, const std::string& path) {
    std::vector<std::string> done;
    auto initial = components(path);
    std::deque<std::string> todo(initial.begin(), initial.end());
    bool missing = false;  // past a missing component, the rest is taken as is
    int links = 0;
    while (!todo.empty()) {
        std::string c = std::move(todo.front());
        todo.pop_front();
        if (c == ".") continue;
        if (c == "..") {
            if (!done.empty()) done.pop_back();
            continue;
        }
        if (missing) {
            done.push_back(std::move(c));
            continue;
        }
        auto parent = openInRoot(rootFd, joinAbs(done), O_PATH | O_DIRECTORY);
        struct stat st;
        int err = 0;
        if (!parent) {
            err = parent.error().code;
        } else if (::fstatat(parent->get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            err = errno;
        }
        if (err == ENOENT) {
            missing = true;
            done.push_back(std::move(c));
            continue;
        }
        if (err) return Error{err, fmt::format("resolve {} in the container", path)};
        if (!S_ISLNK(st.st_mode)) {
            done.push_back(std::move(c));
            continue;
        }
        if (++links > kMaxLinks)
            return makeError(ELOOP, "resolve {} in the container: too many links", path);
        std::string target = TRY(readLinkAt(parent->get(), c));
        if (target.starts_with('/')) done.clear();
        auto more = components(target);
        todo.insert(todo.begin(), more.begin(), more.end());
    }
    return joinAbs(done);
}

Error notFound(const std::string& path) {
    return Error{ENOENT, fmt::format("Could not find the file {}", path), true};
}

}  // namespace berth::engine::fsops
