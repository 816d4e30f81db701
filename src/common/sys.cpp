#include "common/sys.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

namespace berth::sys {

namespace {

class RealOs final : public Os {
public:
    int open(const char* p, int f, mode_t m) override { return ::open(p, f | O_CLOEXEC, m); }
    int openat(int d, const char* p, int f, mode_t m) override {
        return ::openat(d, p, f | O_CLOEXEC, m);
    }
    int mkdirat(int d, const char* p, mode_t m) override { return ::mkdirat(d, p, m); }
    int mount(const char* s, const char* d, const char* t, unsigned long f,
              const void* data) override {
        return ::mount(s, d, t, f, data);
    }
    int umount2(const char* t, int f) override { return ::umount2(t, f); }
    ssize_t write(int fd, const void* b, size_t n) override { return ::write(fd, b, n); }
    ssize_t read(int fd, void* b, size_t n) override { return ::read(fd, b, n); }
    int unlinkat(int d, const char* p, int f) override { return ::unlinkat(d, p, f); }
};

Os* g_os = nullptr;

}  // namespace

Os& realOs() {
    static RealOs r;
    return r;
}
Os& os() { return g_os ? *g_os : realOs(); }

ScopedOs::ScopedOs(Os& o) : prev_(g_os) { g_os = &o; }
ScopedOs::~ScopedOs() { g_os = prev_; }

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode) {
    int fd = os().open(path.c_str(), flags, mode);
    if (fd < 0) return errnoError("open {}", path);
    return UniqueFd(fd);
}

Result<UniqueFd> openat(int dirfd, const std::string& path, int flags, mode_t mode) {
    int fd = os().openat(dirfd, path.c_str(), flags, mode);
    if (fd < 0) return errnoError("open {}", path);
    return UniqueFd(fd);
}

Result<UniqueFd> openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                         mode_t mode) {
    struct open_how how = {};
    how.flags = flags | O_CLOEXEC;
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = resolve;
    int fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
    if (fd < 0) return errnoError("open {}", path);
    return UniqueFd(fd);
}

Status mkdirat(int dirfd, const std::string& path, mode_t mode) {
    if (os().mkdirat(dirfd, path.c_str(), mode) < 0) return errnoError("mkdir {}", path);
    return {};
}

Status mkdir(const std::string& path, mode_t mode) { return mkdirat(AT_FDCWD, path, mode); }

Status mkdirAll(const std::string& path, mode_t mode) {
    if (path.empty()) return {};
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty() || cur == "/") continue;
        if (os().mkdirat(AT_FDCWD, cur.c_str(), mode) < 0 && errno != EEXIST) {
            return errnoError("mkdir {}", cur);
        }
    }
    if (!isDir(path)) return makeError(ENOTDIR, "mkdir {}", path);
    return {};
}

Status mount(const std::string& src, const std::string& dst, const std::string& type,
             unsigned long flags, const std::string& data) {
    if (os().mount(src.empty() ? nullptr : src.c_str(), dst.c_str(),
                   type.empty() ? nullptr : type.c_str(), flags,
                   data.empty() ? nullptr : data.c_str()) < 0) {
        return errnoError("mount {} on {}", src.empty() ? type : src, dst);
    }
    return {};
}

Status umount2(const std::string& target, int flags) {
    if (os().umount2(target.c_str(), flags) < 0) return errnoError("umount {}", target);
    return {};
}

Status unlinkat(int dirfd, const std::string& path, int flags) {
    if (os().unlinkat(dirfd, path.c_str(), flags) < 0) return errnoError("remove {}", path);
    return {};
}

Status rmdir(const std::string& path) { return unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

namespace {
Status removeTreeAt(int parent, const std::string& name, const std::string& full) {
    int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return {};
        if (errno == ENOTDIR || errno == ELOOP) {
            if (::unlinkat(parent, name.c_str(), 0) < 0 && errno != ENOENT) {
                return errnoError("remove {}", full);
            }
            return {};
        }
        return errnoError("open {}", full);
    }
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return errnoError("opendir {}", full);
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    Status st;
    for (const auto& n : names) {
        st = removeTreeAt(::dirfd(d), n, full + "/" + n);
        if (!st) break;
    }
    ::closedir(d);
    if (!st) return st;
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
        return errnoError("remove {}", full);
    }
    return {};
}
}  // namespace

Status removeAll(const std::string& path) { return removeTreeAt(AT_FDCWD, path, path); }

Result<std::string> readFd(int fd) {
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = os().read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("read");
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Result<std::string> readFileAt(int dirfd, const std::string& path) {
    auto fd = TRY(openat(dirfd, path, O_RDONLY));
    return TRY_CTX(readFd(fd.get()), "{}", path);
}

Result<std::string> readFile(const std::string& path) { return readFileAt(AT_FDCWD, path); }

Status writeFd(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = os().write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("write");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status writeFileAt(int dirfd, const std::string& path, std::string_view data, int flags,
                   mode_t mode) {
    auto fd = TRY(openat(dirfd, path, flags, mode));
    TRY_CTX(writeFd(fd.get(), data), "{}", path);
    return {};
}

Status writeFile(const std::string& path, std::string_view data, int flags, mode_t mode) {
    return writeFileAt(AT_FDCWD, path, data, flags, mode);
}

Status writeFileAtomic(const std::string& path, std::string_view data, mode_t mode) {
    std::string tmp = path + ".tmp";
    auto fd = TRY(open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    TRY_CTX(writeFd(fd.get(), data), "{}", tmp);
    if (::fsync(fd.get()) < 0) return errnoError("fsync {}", tmp);
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return makeError(e, "rename {} to {}", tmp, path);
    }
    return {};
}

Result<std::string> readlink(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) return errnoError("readlink {}", path);
    return std::string(buf, static_cast<size_t>(n));
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool isDir(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string fdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace berth::sys
