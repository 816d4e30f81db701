// The three Manager implementations and the per-controller writers behind them (internal).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/cgroups/cgroup.h"

namespace berth::cgroups {

// v1: one directory per mounted hierarchy (co-mounted controllers share one).
class V1Manager final : public Manager {
  public:
    // mounts: controller -> hierarchy mount dir; rel: the container's path below each.
    V1Manager(std::map<std::string, std::string> mounts, std::string rel);
    Mode mode() const override { return Mode::V1; }
    Status create() override;
    Status addTask(pid_t pid) override;
    Status apply(const spec::Resources& r) override;
    Status freeze() override;
    Status thaw() override;
    Result<FreezerState> freezerState() override;
    Result<std::vector<pid_t>> pids() override;
    Result<Stats> stats() override;
    Status killAll(int sig) override;
    Status destroy() override;
    std::map<std::string, std::string> paths() const override;

    bool has(const std::string& controller) const { return mounts_.count(controller) != 0; }

  private:
    // The container's directory in the controller's hierarchy ("" when not mounted).
    std::string dir(const std::string& controller) const;
    // dir() or an error saying the controller is needed for `what`.
    Result<std::string> need(const std::string& controller, std::string_view what) const;
    std::set<std::string> hierarchyDirs() const;

    std::map<std::string, std::string> mounts_;
    std::string rel_;
};

// v2: one directory in the unified tree.
class V2Manager final : public Manager {
  public:
    V2Manager(std::string mountDir, std::string rel);
    Mode mode() const override { return Mode::V2; }
    Status create() override;
    Status addTask(pid_t pid) override;
    Status apply(const spec::Resources& r) override;
    Status freeze() override;
    Status thaw() override;
    Result<FreezerState> freezerState() override;
    Result<std::vector<pid_t>> pids() override;
    Result<Stats> stats() override;
    Status killAll(int sig) override;
    Status destroy() override;
    std::map<std::string, std::string> paths() const override;

    // Controllers the tree offers (cgroup.controllers of its root).
    std::set<std::string> available() const;
    // The directory alone, no controller enabled (hybrid hosts: other runtimes, crun among
    // them, refuse to work once the unified root delegates controllers).
    Status createDir();
    // Enables the available controllers from the root down to the container's directory.
    Status enableControllers();
    const std::string& dir() const { return dir_; }

  private:
    std::string mount_, rel_, dir_;
};

// Hybrid: v1 hierarchies for what is mounted as v1, the unified dir for the rest.
class HybridManager final : public Manager {
  public:
    HybridManager(std::map<std::string, std::string> v1Mounts, std::string unifiedMount,
                  std::string rel);
    Mode mode() const override { return Mode::Hybrid; }
    Status create() override;
    Status addTask(pid_t pid) override;
    Status apply(const spec::Resources& r) override;
    Status freeze() override;
    Status thaw() override;
    Result<FreezerState> freezerState() override;
    Result<std::vector<pid_t>> pids() override;
    Result<Stats> stats() override;
    Status killAll(int sig) override;
    Status destroy() override;
    std::map<std::string, std::string> paths() const override;

  private:
    V1Manager v1_;
    V2Manager v2_;
};

// freeze, signal every pid, thaw (shared by the three).
Status killAllFrozen(Manager& m, int sig);

// "2MB", "1GB", "64KB": a page size safe to put in a file name.
Status checkPageSize(const std::string& size);

namespace v1 {
Status applyMemory(const std::string& dir, const spec::MemoryResources& m);
Status applyCpu(const std::string& dir, const spec::CpuResources& c);
Status applyCpuset(const std::string& dir, const spec::CpuResources& c);
Status applyPids(const std::string& dir, const spec::PidsResources& p);
Status applyBlkio(const std::string& dir, const spec::BlockIoResources& b);
Status applyHugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& h);
Status applyDevices(const std::string& dir, const std::vector<spec::DeviceRule>& rules);
// Copies cpuset.cpus/mems from parent when dir's are empty (a task cannot join otherwise).
Status primeCpuset(const std::string& dir, const std::string& parent);
}  // namespace v1

namespace v2 {
// cgroup v1 cpu.shares -> v2 cpu.weight (runc's conversion).
uint64_t sharesToWeight(uint64_t shares);
// blkio weight (10..1000) -> io.weight (1..10000).
uint64_t blkioToIoWeight(uint64_t w);
Status applyMemory(const std::string& dir, const spec::MemoryResources& m);
Status applyCpu(const std::string& dir, const spec::CpuResources& c);
Status applyPids(const std::string& dir, const spec::PidsResources& p);
Status applyIo(const std::string& dir, const spec::BlockIoResources& b);
Status applyHugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& h);
Status applyUnified(const std::string& dir, const std::map<std::string, std::string>& kv);
// Writes "+ctrl ..." into cgroup.subtree_control of every ancestor of rel below mount.
Status enableControllers(const std::string& mount, const std::string& rel);
}  // namespace v2

}  // namespace berth::cgroups
