#include "network/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <thread>

#include "common/scope_guard.h"

namespace berth::net {

Result<UniqueFd> createNetns(const std::string& path) {
    {
        int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (fd < 0) return errnoError("create netns file {}", path);
        ::close(fd);
    }
    ScopeGuard unlinkFile([&] { ::unlink(path.c_str()); });

    // A fresh thread unshares, so no thread of ours ever runs in the new netns by accident;
    // the bind mount keeps the netns alive after the thread is gone.
    Result<UniqueFd> out = Error{};
    std::thread t([&] {
        if (::unshare(CLONE_NEWNET) < 0) {
            out = errnoError("unshare(CLONE_NEWNET)");
            return;
        }
        if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
            out = errnoError("bind-mount the new netns on {}", path);
            return;
        }
        int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            out = errnoError("open /proc/thread-self/ns/net");
            ::umount2(path.c_str(), MNT_DETACH);
            return;
        }
        out = UniqueFd(fd);
    });
    t.join();
    if (out) unlinkFile.cancel();
    return out;
}

Status removeNetns(const std::string& path) {
    if (::umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return errnoError("unmount netns {}", path);
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) return errnoError("remove {}", path);
    return {};
}

Result<UniqueFd> openNetns(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errnoError("open netns {}", path);
    UniqueFd f(fd);
    int type = ::ioctl(fd, NS_GET_NSTYPE);
    if (type != CLONE_NEWNET) return makeError(EINVAL, "{} is not a network namespace", path);
    return f;
}

bool isNetns(const std::string& path) { return openNetns(path).ok(); }

Status runInNetns(int nsFd, const std::function<void()>& fn) {
    Status st;
    std::thread t([&] {
        if (::setns(nsFd, CLONE_NEWNET) < 0) {
            st = errnoError("setns into netns");
            return;
        }
        fn();
    });
    t.join();
    return st;
}

}  // namespace berth::net
