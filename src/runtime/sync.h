// The runtime <-> init channel: a SOCK_SEQPACKET socketpair carrying small typed messages, an
// optional payload (error text, state JSON) and optionally one fd (SCM_RIGHTS).
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::sync {

enum class Msg : uint32_t {
    Go = 1,          // parent -> child: continue
    UsernsReady,     // child -> parent: write my uid/gid maps
    InitPid,         // intermediate -> parent: value = host pid of the init
    HooksReady,      // init -> parent: rootfs prepared, run prestart/createRuntime hooks
    Created,         // init -> parent: waiting for `start`
    Error,           // either way: payload = message, value = errno
    Pty,             // init -> parent: fd = pty master (foreground `run` with a terminal)
    SeccompFd,       // container process -> parent: fd = seccomp notify listener
};

struct Message {
    Msg type = Msg::Error;
    int64_t value = 0;
    std::string payload;
    UniqueFd fd;
};

struct Pair {
    UniqueFd parent, child;
};
Result<Pair> makePair();

Status send(int sock, Msg type, int64_t value = 0, std::string_view payload = {}, int fd = -1);
Result<Message> recv(int sock);
// recv, then check the type; an Error message becomes an Error carrying its text and errno.
Result<Message> expect(int sock, Msg type);
// Reports an error to the peer (best effort).
void sendError(int sock, const Error& e);

}  // namespace berth::sync
