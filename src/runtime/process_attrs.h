// Per-process attributes applied in the container's init (and exec'd processes) before execve:
// rlimits, noNewPrivileges, oomScoreAdj, personality, ioPriority, scheduler, CPU affinity,
// user/groups, umask.
#pragma once

#include "common/result.h"
#include "runtime/spec.h"

namespace berth::attrs {

// Checked in the runtime before anything is created: unknown RLIMIT_ names, soft > hard,
// a hard limit above the runtime's own hard limit when the runtime lacks CAP_SYS_RESOURCE
// ("process.rlimits[0]: RLIMIT_NOFILE hard limit 1048576 is above the hard limit 20000 and
// raising it needs CAP_SYS_RESOURCE"), unknown personality domain, ioprio class, scheduler policy.
Status validate(const spec::Process& p, const spec::Linux* linux);

Status applyRlimits(const std::vector<spec::Rlimit>& r);
Status applyOomScoreAdj(int adj);                  // writes /proc/self/oom_score_adj
Status applyPersonality(const spec::Personality& p);
Status applyIoPriority(const spec::IoPriority& p);
Status applyScheduler(const spec::Scheduler& s);
Status applyCpuAffinity(const std::string& cpuList);  // "0-3,7"
Status applyNoNewPrivileges();
// setgroups(additionalGids), setgid, setuid (order matters with capabilities: caller does
// caps::applyBounding before and caps::applyFinal after), umask.
Status applyUser(const spec::User& u);

}  // namespace berth::attrs
