// seccomp filters from config.json through libseccomp.
#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace berth::seccomp {

// Checks names (actions, operators, architectures, flags, syscalls unknown to libseccomp are
// a warning like runc's, not an error) without loading anything. Called at create time in the
// runtime process so a bad profile fails before any namespace exists.
Status validate(const spec::Seccomp& s);

// A filter compiled to BPF by the runtime before it forks, installed by the container process.
struct Program {
    std::string bpf;           // struct sock_filter[]
    unsigned long flags = 0;   // SECCOMP_FILTER_FLAG_*
    bool notify = false;       // has SCMP_ACT_NOTIFY rules: install returns the listener fd
    std::string listenerPath, listenerMetadata;
};
Result<Program> compile(const spec::Seccomp& s);
// seccomp(SECCOMP_SET_MODE_FILTER); the listener fd when p.notify, else an invalid fd.
Result<UniqueFd> install(const Program& p);

// Builds and loads the filter into the calling process (after capabilities are set, right
// before execve). When the profile uses SCMP_ACT_NOTIFY, returns the listener fd (else an
// invalid fd); the caller sends it to listenerPath.
Result<UniqueFd> load(const spec::Seccomp& s);

// Sends the notify listener fd plus the container state JSON to the unix socket at `path`,
// the way runc does (SCM_RIGHTS; state JSON with "fds":["seccompFd"], "metadata").
Status sendListener(const std::string& path, int listenerFd, const std::string& stateJson);

// True when any rule uses SCMP_ACT_NOTIFY (the caller then needs listenerPath).
bool usesNotify(const spec::Seccomp& s);

// The runtime-spec "ContainerProcessState" sent to a seccomp agent: {"ociVersion", "fds":
// ["seccompFd"], "pid", "metadata", "state": <stateJson>}. stateJson is the container's state
// document (as `state` prints it); ociVersion is taken from it.
Result<std::string> processStateJson(std::string_view stateJson, int pid,
                                     const std::string& metadata);

}  // namespace berth::seccomp
