#include "image/build/container_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/scope_guard.h"
#include "common/sys.h"
#include "image/snapshot.h"
#include "runtime/container.h"

namespace berth::image::build {

namespace {

// Mount points of the runtime's default mounts (and /etc for later bind mounts of hosts and
// resolv.conf is deliberately absent: an /etc here would hide the image's /etc metadata).
constexpr const char* kInitDirs[] = {"proc", "sys", "dev", "dev/pts", "dev/shm", "dev/mqueue"};

}  // namespace

Result<ContainerFs> ContainerFs::create(const std::string& dir,
                                        const std::vector<std::string>& lowerDirs, bool readOnly) {
    if (::mkdir(dir.c_str(), 0700) < 0) return errnoError("create container dir {}", dir);
    ContainerFs fs(dir);
    fs.lock_.reset(::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fs.lock_ || ::flock(fs.lock_.get(), LOCK_EX | LOCK_NB) < 0) {
        return errnoError("lock container dir {}", dir);
    }
    TRY_CTX(sys::mkdir(dir + "/rootfs", 0755), "container rootfs");
    std::vector<std::string> lowers;
    if (!readOnly) {
        std::string init = dir + "/init";
        TRY_CTX(sys::mkdir(init, 0755), "container init dir");
        for (const char* d : kInitDirs) TRY_CTX(sys::mkdir(init + "/" + d, 0755), "init dir");
        lowers.push_back(init);
    }
    lowers.insert(lowers.end(), lowerDirs.begin(), lowerDirs.end());
    if (lowers.empty()) {
        // A read-only view of an image with no layers: an empty directory.
        TRY_CTX(sys::mkdir(dir + "/empty", 0755), "container empty dir");
        lowers.push_back(dir + "/empty");
    }
    OverlaySpec spec;
    if (readOnly) {
        spec.lowerDirs = lowers;
    } else {
        spec = TRY_CTX(prepareRw(dir, lowers), "prepare container upper dir");
    }
    TRY_CTX(mountOverlay(spec, fs.rootfs()), "mount container rootfs");
    fs.mounted_ = true;
    return fs;
}

ContainerFs::ContainerFs(ContainerFs&& o) noexcept
    : dir_(std::move(o.dir_)),
      mounted_(o.mounted_),
      rootFd_(std::move(o.rootFd_)),
      lock_(std::move(o.lock_)) {
    o.dir_.clear();
    o.mounted_ = false;
}

ContainerFs::~ContainerFs() {
    if (dir_.empty()) return;
    if (auto st = unmount(); !st) {
        // Never remove a tree that may still have the container's root mounted in it.
        log::warn("{}", st.error().str());
        return;
    }
    if (auto st = sys::removeAll(dir_); !st) log::warn("remove {}: {}", dir_, st.error().str());
}

void ContainerFs::cleanStale(const std::string& parent, const std::string& runtimeRoot) {
    DIR* d = ::opendir(parent.c_str());
    if (!d) return;
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    for (const auto& n : names) {
        std::string dir = parent + "/" + n;
        UniqueFd lock(::open((dir + "/lock").c_str(), O_RDWR | O_CLOEXEC));
        // No lock file: a dir still being created (or not ours); a held lock: in use.
        if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) < 0) continue;
        std::string id = n.starts_with("run-") ? n.substr(4) : n;
        runtime::Globals g;
        g.root = runtimeRoot;
        if (runtime::load(g, id)) {
            if (auto st = runtime::remove(g, id, true); !st) {
                log::warn("stale container {}: {}", id, st.error().str());
                continue;
            }
        }
        if (auto st = image::unmount(dir + "/rootfs"); !st) {
            log::warn("stale container dir {}: {}", dir, st.error().str());
            continue;
        }
        if (auto st = sys::removeAll(dir); !st) log::warn("remove {}: {}", dir, st.error().str());
    }
}

Result<int> ContainerFs::rootFd() {
    if (!rootFd_) {
        rootFd_ = TRY_CTX(sys::open(rootfs(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open rootfs");
    }
    return rootFd_.get();
}

Status ContainerFs::unmount() {
    rootFd_.reset();
    if (!mounted_) return {};
    TRY_CTX(image::unmount(rootfs()), "unmount container rootfs");
    mounted_ = false;
    return {};
}

Result<bool> ContainerFs::upperEmpty() const {
    DIR* d = ::opendir(upperDir().c_str());
    if (!d) return errnoError("open {}", upperDir());
    bool empty = true;
    while (auto* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") {
            empty = false;
            break;
        }
    }
    ::closedir(d);
    return empty;
}

}  // namespace berth::image::build
