// Foreground supervision for `run` and `exec`: the runtime (a child subreaper) forwards
// signals to the container process, proxies a pty when it owns one, reaps, and returns the
// exit code (128+signal when killed).
#pragma once

#include <sys/types.h>

#include "common/result.h"

namespace berth::runtime::detail {

// Call before forking the processes to supervise: blocks the forwarded signals (so none is
// lost before the loop starts) and makes us a child subreaper.
Status prepareSupervisor();
// SIGKILL and reap a child of ours (no-op for pid <= 0): rollback of a failed create/exec.
void killAndReap(pid_t pid);
Result<int> supervise(pid_t pid, int ptyMaster);

}  // namespace berth::runtime::detail
