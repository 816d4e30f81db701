// MigrationPrimer: takes the first-writer cost of a cgroup migration off a container's start.
//
// Every write to a cgroup.procs file (cgroup v1 and v2 alike) takes the kernel's global
// cgroup_threadgroup_rwsem for writing. Unless the host mounted cgroupfs with favordynmods, the
// first writer after a quiet spell waits a full RCU grace period for it (about 8 ms on the CI
// machine, most of a container's start), and writers that come within a grace period or so of
// the last one pass at once. prime() starts that wait early, on a thread of its own, with a
// migration that moves nothing: this process into the cgroup it is already in. A container's
// real migration a few milliseconds later then finds the lock ready.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "runtime/cgroups/cgroup.h"

namespace berth::cgroups {

// The cgroup.procs file of the cgroup /proc/self/cgroup's text names: in the cgroup2
// hierarchy when one is mounted (hybrid hosts too: no controller is bound there, so a write
// touches no controller's state), else in the first v1 hierarchy it is in.
Result<std::string> procsFileFor(std::string_view procSelfCgroup, const MountTable& mounts);

class MigrationPrimer {
  public:
    // A thread that waits for prime() calls. root: where cgroupfs is mounted.
    explicit MigrationPrimer(std::string root = "/sys/fs/cgroup");
    ~MigrationPrimer();
    MigrationPrimer(const MigrationPrimer&) = delete;
    MigrationPrimer& operator=(const MigrationPrimer&) = delete;

    // Asks for one no-op migration soon; returns at once. Calls made while one is under way are
    // folded into the next. After a failed write (a read-only cgroupfs, say) it stops trying.
    void prime();
    // Migrations done so far (for tests).
    unsigned long done() const;

  private:
    void loop();

    std::string root_;
    std::optional<MountTable> mounts_;  // the primer thread's
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool wanted_ = false, stop_ = false, disabled_ = false;
    unsigned long done_ = 0;
    std::thread thread_;
};

}  // namespace berth::cgroups
