// Per-process attributes applied in the container's init (and exec'd processes) before execve:
// rlimits, noNewPrivileges, oomScoreAdj, personality, ioPriority, scheduler, CPU affinity,
// user/groups, umask.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace berth::attrs {

// Checked in the runtime before anything is created: unknown RLIMIT_ names, soft > hard,
// a hard limit above the runtime's own hard limit when the runtime lacks CAP_SYS_RESOURCE
// ("process.rlimits[0]: RLIMIT_NOFILE hard limit 1048576 is above the current hard limit 20000
// (raising it needs CAP_SYS_RESOURCE)"), oomScoreAdj range, unknown personality domain/flags,
// ioprio class, scheduler policy/flags/ranges, execCPUAffinity lists.
Status validate(const spec::Process& p, const spec::Linux* linux);

Status applyRlimits(const std::vector<spec::Rlimit>& r);
Status applyOomScoreAdj(int adj);  // writes /proc/self/oom_score_adj
Status applyPersonality(const spec::Personality& p);
Status applyIoPriority(const spec::IoPriority& p);
Status applyScheduler(const spec::Scheduler& s);
Status applyCpuAffinity(const std::string& cpuList);  // "0-3,7"
Status applyNoNewPrivileges();
// setgroups(additionalGids), setgid, setuid (order matters with capabilities: caller does
// caps::applyBounding before and caps::applyFinal after), umask.
Status applyUser(const spec::User& u);

// Opens /proc/<relPath> so that a write cannot be redirected (the CVE-2025-52881 class): the
// /proc fd must be the root of a procfs, the lookup uses openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV (so a bind mount over a proc file
// fails), and the opened file must be on procfs. A leading "self" / "thread-self" is resolved
// through that procfs's own symlink, so it names this process in the procfs's pid namespace.
// Absolute paths and ".." are refused.
Result<UniqueFd> openProcFile(const std::string& relPath, int flags);

// "0-3,7" -> {0,1,2,3,7} (sorted, unique). `field` names the config field in errors.
Result<std::vector<int>> parseCpuList(const std::string& list, std::string_view field = "cpus");

// The rlimit part of validate(): names, duplicates, soft <= hard, and hard <= the current hard
// limit unless this process has CAP_SYS_RESOURCE.
Status validateRlimits(const std::vector<spec::Rlimit>& r);

}  // namespace berth::attrs
