// Small file helpers shared by the V1/V2 implementations (internal to src/runtime/cgroups).
//
// Every cgroup file is opened with O_NOFOLLOW relative to its cgroup directory, and every error
// names the full path: "write 100000 to /sys/fs/cgroup/cpu/berth/x/cpu.cfs_quota_us: EINVAL".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::cgroups::cgfs {

// Writes value to <dir>/<file> (file is a plain name, no '/').
Status write(const std::string& dir, const std::string& file, std::string_view value);
Result<std::string> read(const std::string& dir, const std::string& file);
// read() without the trailing newline/space.
Result<std::string> readTrimmed(const std::string& dir, const std::string& file);
bool exists(const std::string& dir, const std::string& file);

std::string trim(std::string_view s);
// "key value" lines (memory.stat, cpu.stat, cgroup.events) -> map; bad lines are skipped.
std::map<std::string, uint64_t> parseKeyValues(std::string_view text);
// Reads a file of "key value" lines; a missing file gives an empty map.
std::map<std::string, uint64_t> readKeyValues(const std::string& dir, const std::string& file);
// A single unsigned number file; "max" reads as 0. Missing file -> nullopt-like error.
Result<uint64_t> readUint(const std::string& dir, const std::string& file);

// "max" for -1 (or any negative), else the decimal value.
std::string limitString(int64_t v);

// mkdir -p of rel below base (base must exist); calls onCreate(dir, parentDir) for each level,
// new or not, top-down, so callers can prime files (cpuset) on the way down.
template <typename F>
Status mkdirPath(const std::string& base, const std::string& rel, F&& onLevel);
Status mkdirOne(const std::string& dir);

// Every pid in cgroup.procs of dir and all its descendant cgroups.
Result<std::vector<pid_t>> readProcsRecursive(const std::string& dir);
// Parses cgroup.procs text.
std::vector<pid_t> parsePids(std::string_view text);

// rmdir of dir and its child cgroups (children first); ENOENT is fine, EBUSY is retried for
// about a second (the kernel releases an emptied cgroup asynchronously).
Status removeCgroup(const std::string& dir);

// Retries fn (returns true when done) every few ms until timeoutMs passes.
bool pollFor(int timeoutMs, const std::function<bool()>& fn);

template <typename F>
Status mkdirPath(const std::string& base, const std::string& rel, F&& onLevel) {
    std::string cur = base;
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t next = rel.find('/', pos);
        if (next == std::string::npos) next = rel.size();
        std::string comp = rel.substr(pos, next - pos);
        pos = next + 1;
        if (comp.empty()) continue;
        std::string parent = cur;
        cur += "/" + comp;
        TRY(mkdirOne(cur));
        TRY(onLevel(cur, parent));
    }
    return {};
}

}  // namespace berth::cgroups::cgfs
