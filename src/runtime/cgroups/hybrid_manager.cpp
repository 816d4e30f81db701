// Hybrid: v1 hierarchies plus the cgroup2 tree at <root>/unified. The process joins both; each
// controller is driven where it is mounted (on this kind of host hugetlb lives only in v2).
#include "common/log.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups {

HybridManager::HybridManager(std::map<std::string, std::string> v1Mounts, std::string unifiedMount,
                             std::string rel)
    : v1_(std::move(v1Mounts), rel), v2_(std::move(unifiedMount), rel) {}

Status HybridManager::create() {
    TRY(v1_.create());
    // Controllers are enabled in the unified tree only when a limit needs one (apply).
    return v2_.createDir();
}

Status HybridManager::addTask(pid_t pid) {
    TRY(v1_.addTask(pid));
    return v2_.addTask(pid);
}

Status HybridManager::apply(const spec::Resources& r) {
    spec::Resources forV1 = r, forV2;
    auto avail = v2_.available();
    auto inV2 = [&](const char* v1Name, const char* v2Name) {
        return !v1_.has(v1Name) && avail.count(v2Name) != 0;
    };
    if (r.memory && inV2("memory", "memory")) forV2.memory = std::exchange(forV1.memory, {});
    if (r.pids && inV2("pids", "pids")) forV2.pids = std::exchange(forV1.pids, {});
    if (r.blockIO && inV2("blkio", "io")) forV2.blockIO = std::exchange(forV1.blockIO, {});
    if (r.cpu && inV2("cpu", "cpu") && inV2("cpuset", "cpuset")) {
        forV2.cpu = std::exchange(forV1.cpu, {});
    }
    if (!r.hugepageLimits.empty() && inV2("hugetlb", "hugetlb")) {
        forV2.hugepageLimits = std::exchange(forV1.hugepageLimits, {});
    }
    // Device filtering by eBPF needs no v2 controller, only the directory.
    if (!r.devices.empty() && !v1_.has("devices")) {
        forV2.devices = std::exchange(forV1.devices, {});
    }
    // Only the unified tree has files for these; a key it lacks fails naming the file.
    forV2.unified = std::exchange(forV1.unified, {});
    TRY(v1_.apply(forV1));
    if (forV2.memory || forV2.pids || forV2.blockIO || forV2.cpu || !forV2.hugepageLimits.empty() ||
        !forV2.unified.empty()) {
        TRY(v2_.enableControllers());
    }
    return v2_.apply(forV2);
}

Status HybridManager::freeze() {
    return v1_.has("freezer") ? v1_.freeze() : v2_.freeze();
}

Status HybridManager::thaw() {
    return v1_.has("freezer") ? v1_.thaw() : v2_.thaw();
}

Result<FreezerState> HybridManager::freezerState() {
    return v1_.has("freezer") ? v1_.freezerState() : v2_.freezerState();
}

Result<std::vector<pid_t>> HybridManager::pids() {
    return v1_.pids();
}

Result<Stats> HybridManager::stats() {
    return v1_.stats();
}

Status HybridManager::killAll(int sig) {
    return killAllFrozen(*this, sig);
}

Status HybridManager::destroy() {
    auto a = v1_.destroy();
    auto b = v2_.destroy();
    return a ? b : a;
}

std::map<std::string, std::string> HybridManager::paths() const {
    auto out = v1_.paths();
    out[""] = v2_.dir();
    return out;
}

}  // namespace berth::cgroups
