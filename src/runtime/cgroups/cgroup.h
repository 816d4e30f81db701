// One cgroup manager interface; V1, V2 and Hybrid implementations are chosen once at start
// (detect()), never branched on at call sites.
//
// Every implementation takes a root path ("/sys/fs/cgroup" in production, a temp-dir fixture
// in unit tests) and a container cgroup path relative to each hierarchy's root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/spec.h"

namespace berth::cgroups {

enum class Mode { V1, V2, Hybrid };
const char* modeName(Mode m);

// Looks at <root> (statfs + mounts below it) and tells which layout the host has.
Result<Mode> detect(const std::string& root = "/sys/fs/cgroup");
// detect() with the statfs f_type lookup injected (unit tests fake the filesystem magic).
using FsMagicFn = std::function<Result<int64_t>(const std::string& path)>;
Result<Mode> detectWith(const std::string& root, const FsMagicFn& fsMagic);

// Where each hierarchy is mounted. Production reads /proc/self/mountinfo; fixtures (plain temp
// dirs) are scanned by directory name ("cpu,cpuacct", "memory", "systemd", "unified").
struct MountTable {
    std::map<std::string, std::string> v1;  // controller ("cpu", "name=systemd") -> mount dir
    std::string unified;                    // cgroup2 mount dir, "" when there is none
};
// Parses mountinfo text, keeping the cgroup mounts at or below root.
MountTable parseMountInfo(std::string_view mountinfo, const std::string& root);
// Directory names under root as a fixture layout (symlinks are skipped).
Result<MountTable> scanMountTable(const std::string& root);
// mountinfo of this process; when nothing cgroup-like is mounted under root, scanMountTable().
Result<MountTable> loadMountTable(const std::string& root);

// A line of /proc/<pid>/cgroup, "<id>:<controllers>:<path>".
struct ProcCgroup {
    std::set<std::string> controllers;  // {"cpu","cpuacct"}, {"name=systemd"}; empty for v2
    std::string controllerList;         // as written: "cpu,cpuacct"
    std::string path;
};
std::vector<ProcCgroup> parseProcCgroups(std::string_view text);

enum class FreezerState { Thawed, Freezing, Frozen };

struct Stats {
    uint64_t cpuUsageNs = 0, cpuUserNs = 0, cpuSystemNs = 0;
    uint64_t cpuThrottledPeriods = 0, cpuThrottledNs = 0;
    uint64_t memoryUsage = 0, memoryLimit = 0, memoryMaxUsage = 0, memoryCache = 0;
    uint64_t swapUsage = 0;
    uint64_t pidsCurrent = 0, pidsLimit = 0;  // limit 0 = max
    uint64_t ioReadBytes = 0, ioWriteBytes = 0;
    uint64_t oomKills = 0;
};

class Manager {
  public:
    virtual ~Manager() = default;
    virtual Mode mode() const = 0;
    // Creates the container's cgroup in every hierarchy (mkdir -p). Idempotent.
    virtual Status create() = 0;
    // Moves a process into it (every hierarchy).
    virtual Status addTask(pid_t pid) = 0;
    // Writes the limits; used at create and by `update`. Fields absent in `r` are untouched.
    virtual Status apply(const spec::Resources& r) = 0;
    virtual Status freeze() = 0;
    virtual Status thaw() = 0;
    virtual Result<FreezerState> freezerState() = 0;
    // Every pid in the cgroup and its descendants.
    virtual Result<std::vector<pid_t>> pids() = 0;
    virtual Result<Stats> stats() = 0;
    // Sends sig to every process in it (freezes first so none escapes by forking).
    virtual Status killAll(int sig) = 0;
    // Removes the cgroup directories (waits briefly for them to empty; ENOENT is fine).
    virtual Status destroy() = 0;
    // Hierarchy -> absolute directory, recorded in the container's state ("" key for v2).
    virtual std::map<std::string, std::string> paths() const = 0;
};

struct Options {
    std::string root = "/sys/fs/cgroup";
    std::string path;      // relative to each hierarchy root, e.g. "berth/web" (no leading '/')
    bool systemd = false;  // --systemd-cgroup: needs a running systemd, else a clear error
    std::optional<MountTable> mounts;  // unset: loadMountTable(root)
};

// Builds the manager for the detected mode.
Result<std::unique_ptr<Manager>> open(Mode mode, const Options& o);

// cgroupsPath from config.json -> relative path. "" -> "berth/<id>"; "/a/b" -> "a/b";
// "system.slice:berth:<id>" (systemd form) -> "system.slice/berth-<id>.scope", slices expanded
// ("a-b.slice" -> "a.slice/a-b.slice").
Result<std::string> resolvePath(const std::string& cgroupsPath, const std::string& id);

}  // namespace berth::cgroups
