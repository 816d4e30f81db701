// MigrationPrimer: a no-op migration on a thread of its own (see primer.h for why).
#include "runtime/cgroups/primer.h"

#include <unistd.h>

#include <string_view>

#include "common/log.h"
#include "common/sys.h"
#include "runtime/cgroups/cgroup.h"

namespace berth::cgroups {

Result<std::string> procsFileFor(std::string_view procSelfCgroup, const MountTable& mounts) {
    auto lines = parseProcCgroups(procSelfCgroup);
    auto procs = [](const std::string& mount, const std::string& path) {
        return mount + (path == "/" ? "" : path) + "/cgroup.procs";
    };
    if (!mounts.unified.empty())
        for (const auto& l : lines)
            if (l.controllers.empty()) return procs(mounts.unified, l.path);
    for (const auto& [ctrl, mount] : mounts.v1)
        for (const auto& l : lines)
            if (l.controllers.count(ctrl)) return procs(mount, l.path);
    return makeError(ENOENT, "this process is in no mounted cgroup hierarchy");
}

MigrationPrimer::MigrationPrimer(std::string root) : root_(std::move(root)) {
    thread_ = std::thread([this] { loop(); });
}

MigrationPrimer::~MigrationPrimer() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void MigrationPrimer::prime() {
    {
        std::lock_guard lk(mu_);
        if (disabled_ || wanted_) return;
        wanted_ = true;
    }
    cv_.notify_all();
}

unsigned long MigrationPrimer::done() const {
    std::lock_guard lk(mu_);
    return done_;
}

void MigrationPrimer::loop() {
    std::unique_lock lk(mu_);
    for (;;) {
        cv_.wait(lk, [&] { return stop_ || wanted_; });
        if (stop_) return;
        wanted_ = false;
        lk.unlock();
        // The mounts are read once; the cgroup each time: whoever manages this process may
        // have moved it since, and a stale path would move it back.
        Status st = [&]() -> Status {
            if (!mounts_) mounts_ = TRY_CTX(loadMountTable(root_), "cgroup mounts under {}", root_);
            auto self = TRY(sys::readFile("/proc/self/cgroup"));
            std::string file = TRY(procsFileFor(self, *mounts_));
            return sys::writeFile(file, std::to_string(::getpid()), O_WRONLY);
        }();
        lk.lock();
        if (st) {
            done_++;
        } else {
            disabled_ = true;
            log::debug("cgroup migration primer off: {}", st.error().str());
        }
        cv_.notify_all();
    }
}

}  // namespace berth::cgroups
