// The last steps of every container process (the init and exec'd ones): credentials,
// capabilities, no_new_privs, seccomp, cwd, the fd sweep and execve.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace berth::procexec {

struct Plan {
    const spec::Process* process = nullptr;
    const seccomp::Program* seccomp = nullptr;  // compiled by the runtime; null: no filter
    const spec::Personality* personality = nullptr;  // linux.personality (init only)
    std::string stateJson;                   // sent with a seccomp notify listener
    int preserveFds = 0;
    // A filter with SCMP_ACT_NOTIFY is installed in prepare() and its listener fd sent over
    // this socket: the runtime, in the host's mount namespace, passes it to listenerPath.
    int syncFd = -1;
};

// The runtime's side of the above: sends the listener to the agent at listenerPath with the
// container process state (runtime-spec "ContainerProcessState").
Status forwardListener(const seccomp::Program& p, int listenerFd, const std::string& stateJson,
                       pid_t pid);

// Before waiting for `start`: rlimits, bounding set, uid/gids, final capabilities,
// no_new_privs; a seccomp filter is loaded here when no_new_privs is off (it needs
// CAP_SYS_ADMIN then); then cwd (checked to be inside the root, the CVE-2024-21626 class) and
// the executable looked up in the process's PATH. Returns the executable's path.
Result<std::string> prepare(const Plan& plan);

// After `start`: a seccomp filter with no_new_privs, every fd from 3+preserveFds made
// close-on-exec, execve. Returns only on error.
Error execNow(const Plan& plan, const std::string& path);

// Default dispositions and an empty signal mask (before execve of anything we spawn).
void resetSignals();

// PATH lookup as a shell would do in the container's view (the root is already the
// container's): "exec: \"foo\": executable file not found in $PATH".
Result<std::string> lookPath(const std::string& file, const std::vector<std::string>& env);

}  // namespace berth::procexec
