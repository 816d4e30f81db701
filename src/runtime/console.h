// The container's terminal: a pty made inside the container (its own devpts instance), the slave
// as stdio, controlling terminal and /dev/console, the master handed to whoever asked for it
// (the --console-socket peer, or the runtime itself for a foreground `run`).
#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace berth::console {

// Connects to the unix socket given by --console-socket.
Result<UniqueFd> connectSocket(const std::string& path);

// In the container, after pivot_root: opens /dev/ptmx, sets the window size, binds the slave on
// /dev/console when `bindConsole`, makes it the controlling terminal and stdio. Returns the
// master.
Result<UniqueFd> setupPty(const std::optional<spec::ConsoleSize>& size, bool bindConsole);

// Sends `fd` with `name` as the message (SCM_RIGHTS), as runc's console socket protocol does.
Status sendFd(int sock, int fd, const std::string& name);

}  // namespace berth::console
