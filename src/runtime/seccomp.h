// seccomp filters from config.json through libseccomp.
#pragma once

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace berth::seccomp {

// Checks names (actions, operators, architectures, flags, syscalls unknown to libseccomp are
// a warning like runc's, not an error) without loading anything. Called at create time in the
// runtime process so a bad profile fails before any namespace exists.
Status validate(const spec::Seccomp& s);

// Builds and loads the filter into the calling process (after capabilities are set, right
// before execve). When the profile uses SCMP_ACT_NOTIFY, returns the listener fd (else an
// invalid fd); the caller sends it to listenerPath.
Result<UniqueFd> load(const spec::Seccomp& s);

// Sends the notify listener fd plus the container state JSON to the unix socket at `path`,
// the way runc does (SCM_RIGHTS; state JSON with "fds":["seccompFd"], "metadata").
Status sendListener(const std::string& path, int listenerFd, const std::string& stateJson);

}  // namespace berth::seccomp
