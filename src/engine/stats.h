// docker stats: one StatsResponse (API 1.50) from the container's cgroup (v1 controllers, as on
// a hybrid host, or the unified tree) and its network namespace.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.h"

namespace berth::engine {

struct StatsSource {
    std::string id;
    std::string name;         // as docker reports it: "/web"
    pid_t pid = 0;            // the container's init on the host (net/dev); 0: no network stats
    std::string cgroupsPath;  // linux.cgroupsPath of config.json, e.g. "/berth/<id>"
    std::string cgroupRoot = "/sys/fs/cgroup";
    std::string procRoot = "/proc";  // /proc/stat, /proc/meminfo, /proc/<pid>/net/dev
};

// A StatsResponse as JSON text: read/preread, pids_stats, blkio_stats, cpu_stats with
// system_cpu_usage and online_cpus, precpu_stats (the previous sample's cpu_stats, or zeros),
// memory_stats (limit "max" -> host MemTotal, as docker), networks (every interface of the
// container's netns but lo; omitted when there is none), name, id.
//
// memory_stats.usage is the raw cgroup usage (v1 memory.usage_in_bytes, v2 memory.current):
// the docker CLI subtracts the inactive file cache itself (total_inactive_file on v1,
// inactive_file on v2), so the daemon must not.
//
// previousJson: what the previous call returned for this container (stream mode), or nullopt
// for the first sample / one-shot. ENOENT when the container's cgroup does not exist.
Result<std::string> statsJson(const StatsSource& s, const std::optional<std::string>& previousJson);

}  // namespace berth::engine
