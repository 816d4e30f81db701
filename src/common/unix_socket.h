// Unix-socket helpers shared by every fd hand-over in Berth (the runtime <-> init channel, the
// console socket, the seccomp agent): connect by path, and send bytes with one fd attached.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::sys {

// A connected SOCK_STREAM socket to the unix socket at `path` (close-on-exec).
Result<UniqueFd> connectUnix(const std::string& path);

// One sendmsg() of `data` with `fd` attached as SCM_RIGHTS (fd < 0: none); on a stream socket
// the bytes a short write left are sent after it (the fd travels with the first chunk). `data`
// must not be empty when an fd is attached (the kernel needs one byte to carry it).
Status sendWithFd(int sock, std::string_view data, int fd);

}  // namespace berth::sys
