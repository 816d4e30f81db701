// MigrationPrimer: a no-op migration on a thread of its own (see primer.h for why).
#include "runtime/cgroups/primer.h"

#include <unistd.h>

#include <optional>
#include <string_view>

#include "common/log.h"
#include "common/sys.h"
#include "runtime/cgroups/cgroup.h"

namespace berth::cgroups {

Result<std::string> procsFileFor(std::string_view procSelfCgroup, const MountTable& mounts) {
    // Lines are "<id>:<controllers>:<path>"; cgroup2's is "0::<path>".
    auto pathOf = [&](const auto& matches) -> std::optional<std::string> {
        size_t pos = 0;
        while (pos < procSelfCgroup.size()) {
            size_t end = procSelfCgroup.find('\n', pos);
            if (end == std::string_view::npos) end = procSelfCgroup.size();
            std::string_view line = procSelfCgroup.substr(pos, end - pos);
            pos = end + 1;
            size_t a = line.find(':');
            size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
            if (b == std::string_view::npos) continue;
            if (matches(line.substr(a + 1, b - a - 1))) return std::string(line.substr(b + 1));
        }
        return std::nullopt;
    };
    auto join = [](const std::string& mount, const std::string& path) {
        std::string dir = mount;
        if (path != "/") dir += path;
        return dir + "/cgroup.procs";
    };
    if (!mounts.unified.empty()) {
        if (auto p = pathOf([](std::string_view ctrls) { return ctrls.empty(); }))
            return join(mounts.unified, *p);
    }
    for (const auto& [ctrl, mount] : mounts.v1) {
        auto p = pathOf([&](std::string_view ctrls) {
            for (size_t i = 0; i <= ctrls.size();) {
                size_t j = ctrls.find(',', i);
                if (j == std::string_view::npos) j = ctrls.size();
                if (ctrls.substr(i, j - i) == ctrl) return true;
                i = j + 1;
            }
            return false;
        });
        if (p) return join(mount, *p);
    }
    return makeError(ENOENT, "this process is in no mounted cgroup hierarchy");
}

Result<std::string> ownProcsFile(const std::string& root) {
    auto mounts = TRY_CTX(loadMountTable(root), "cgroup mounts under {}", root);
    auto self = TRY(sys::readFile("/proc/self/cgroup"));
    return procsFileFor(self, mounts);
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
        // Looked up each time: whoever manages this process may have moved it since, and a
        // stale path would move it back.
        Status st = [&]() -> Status {
            std::string file = TRY(ownProcsFile(root_));
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
