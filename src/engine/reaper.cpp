// DirReaper (reaper.h).
#include "engine/reaper.h"

#include <sys/mount.h>

#include "common/log.h"
#include "common/sys.h"

namespace berth::engine {

DirReaper::DirReaper() {
    thread_ = std::thread([this] { loop(); });
}

DirReaper::~DirReaper() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void DirReaper::add(std::string dir) {
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(dir));
    }
    cv_.notify_all();
}

void DirReaper::drain() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return queue_.empty() && !busy_; });
}

void DirReaper::loop() {
    std::unique_lock lk(mu_);
    for (;;) {
        cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to do
        std::string dir = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        lk.unlock();
        if (::umount2((dir + "/rootfs").c_str(), MNT_DETACH) != 0 && errno != EINVAL &&
            errno != ENOENT)
            log::warn("unmount {}/rootfs: {}", dir, errnoName(errno));
        if (auto st = sys::removeAll(dir); !st) log::warn("remove {}: {}", dir, st.error().str());
        lk.lock();
        busy_ = false;
        cv_.notify_all();
    }
}

}  // namespace berth::engine
