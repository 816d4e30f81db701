// A container's persisted state under <root>/<id>/ and its status as the runtime spec defines
// it (creating, created, running, paused, stopped), computed from the live system each time.
//
// Files in <root>/<id>/: state.json (this struct), config.json (a copy taken at create),
// exec.fifo (present while the container waits for `start`).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/cgroup.h"

namespace berth::state {

enum class ContainerStatus { Creating, Created, Running, Paused, Stopped };
const char* statusName(ContainerStatus s);

struct State {
    std::string ociVersion;
    std::string id;
    pid_t pid = 0;
    uint64_t startTime = 0;  // /proc/<pid>/stat field 22: tells a reused pid apart
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339
    std::string owner;
    std::map<std::string, std::string> annotations;
    cgroups::Mode cgroupMode = cgroups::Mode::V1;
    std::string cgroupRoot = "/sys/fs/cgroup";
    std::string cgroupPath;  // relative to each hierarchy
    bool systemdCgroup = false;
    // The init's close-on-exec write end of a pipe: `start` opens /proc/<pid>/fd/<N> and reads
    // EOF once the user process was exec'd (poststart hooks must run after that). -1: none.
    int execPipeFd = -1;
    std::vector<std::string> namespaces;  // every namespace type the container has
};

// Container ids: letters, digits, '_', '+', '-', '.'; not "." or "..".
Status validateId(const std::string& id);
std::string dir(const std::string& root, const std::string& id);
std::string fifoPath(const std::string& root, const std::string& id);

// ENOENT error "container \"x\" does not exist" when there is no such container.
Result<State> load(const std::string& root, const std::string& id);
Status save(const std::string& root, const State& s);
Result<std::vector<std::string>> listIds(const std::string& root);

// Holds an exclusive flock on <root>/<id> for the lifetime of the fd.
Result<UniqueFd> lock(const std::string& root, const std::string& id);

// Live status: init dead (or its pid reused, or a zombie) -> stopped; exec.fifo present ->
// created; freezer frozen -> paused; else running.
ContainerStatus status(const std::string& root, const State& s);

// The runtime spec's state JSON (ociVersion, id, status, pid, bundle, annotations) plus runc's
// rootfs/created/owner, as `state` prints it and hooks read it on stdin.
std::string ociJson(const State& s, ContainerStatus st, bool pretty = true);

// /proc/<pid>/stat starttime, or 0 when the process is gone.
uint64_t processStartTime(pid_t pid);
// Alive and not a zombie.
bool processRunning(pid_t pid, uint64_t startTime);

std::string nowRfc3339();

}  // namespace berth::state
