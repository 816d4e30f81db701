// Test helpers for the rootfs tests: a throwaway rootfs directory and a fork()ed child in a
// private mount namespace, so nothing a test mounts reaches the host.
#pragma once

#include <fcntl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "common/sys.h"
#include "runtime/spec.h"

namespace berth::rootfs::testing {

// A temp dir holding `rootfs/` with a few directories; removed on destruction.
class TempRootfs {
  public:
    TempRootfs() {
        char tmpl[] = "/tmp/berth-rootfs-test-XXXXXX";
        char* d = ::mkdtemp(tmpl);
        dir_ = d ? d : "";
        rootfs_ = dir_ + "/rootfs";
        for (const char* sub : {"", "/bin", "/etc", "/proc", "/sys", "/dev", "/tmp"}) {
            ::mkdir((rootfs_ + sub).c_str(), 0755);
        }
    }
    ~TempRootfs() {
        if (!dir_.empty()) (void)sys::removeAll(dir_);
    }
    const std::string& dir() const { return dir_; }        // host-side scratch space
    const std::string& rootfs() const { return rootfs_; }  // the container's root
    std::string in(const std::string& p) const { return rootfs_ + p; }

  private:
    std::string dir_, rootfs_;
};

// Filesystem magic of the filesystem at p, or -1.
inline long fsType(const std::string& p) {
    struct statfs sf;
    return ::statfs(p.c_str(), &sf) == 0 ? static_cast<long>(sf.f_type) : -1;
}

// 0 when creating the file p works, else the errno (EROFS for a read-only mount).
inline int createErrno(const std::string& p) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno;
}

// Runs `fn` in a child that first unshares its mount namespace and makes / rprivate. `fn`
// returns "" on success or a failure description, which the parent gets back.
inline std::string inChild(const std::function<std::string()>& fn, int extraUnshare = 0) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return "pipe failed";
    pid_t pid = ::fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        ::close(p[0]);
        std::string msg;
        if (::unshare(CLONE_NEWNS | extraUnshare) < 0) {
            msg = "unshare failed";
        } else if (::mount(nullptr, "/", nullptr, MS_PRIVATE | MS_REC, nullptr) < 0) {
            msg = "make / private failed";
        } else {
            msg = fn();
        }
        if (!msg.empty()) (void)!::write(p[1], msg.data(), msg.size());
        ::_exit(msg.empty() ? 0 : 1);
    }
    ::close(p[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (msg.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        msg = "child failed with status " + std::to_string(status);
    }
    return msg;
}

inline spec::Mount mountOf(std::string dest, std::string type, std::string source,
                           std::vector<std::string> options) {
    spec::Mount m;
    m.destination = std::move(dest);
    m.type = std::move(type);
    m.source = std::move(source);
    m.options = std::move(options);
    return m;
}

inline spec::Mount devTmpfs() {
    return mountOf("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"});
}

}  // namespace berth::rootfs::testing

// In a child body: fail with a message unless `cond`.
#define CHILD_CHECK(cond, ...)                                                  \
    do {                                                                        \
        if (!(cond)) return std::string(#cond ": ") + fmt::format(__VA_ARGS__); \
    } while (0)
// In a child body: a Status/Result that must be ok.
#define CHILD_OK(expr)                                              \
    do {                                                            \
        auto&& r_ = (expr);                                         \
        if (!r_) return std::string(#expr ": ") + r_.error().str(); \
    } while (0)
