// What the monitor binary and its clients share: state-file names, the attach socket's request
// format, the control messages of a start, and unix-socket helpers that work for paths longer
// than sun_path (an exec's state directory easily is).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::monitor::proto {

inline constexpr const char* kLockFile = "lock";
inline constexpr const char* kStateFile = "state";
inline constexpr const char* kExitFile = "exit";
inline constexpr const char* kAttachSock = "attach.sock";
inline constexpr const char* kConsoleSock = "console.sock";
inline constexpr const char* kMonitorLog = "monitor.log";
inline constexpr const char* kProcessFile = "process.json";
inline constexpr const char* kExecPidFile = "exec.pid";

// The monitor's end of the start handshake is this fd (a SOCK_SEQPACKET socket).
inline constexpr int kControlFd = 3;

// Attach socket: a client sends one 8-byte request
//   [type, flags, 0, 0, height(be16), width(be16)]
// and (for Attach and Resize) reads a one-byte answer, kOk or kRefused. An attach connection
// then carries the stream; a Wait connection gets no answer and is closed (EOF) once the exit
// status is on disk.
enum ReqType : uint8_t { kAttach = 'A', kResize = 'R', kWait = 'W' };
enum ReqFlags : uint8_t { kStdin = 1, kStdout = 2, kStderr = 4 };
inline constexpr char kOk = 'k';
inline constexpr char kRefused = 'x';
inline constexpr size_t kRequestSize = 8;

struct Request {
    uint8_t type = 0, flags = 0;
    uint16_t height = 0, width = 0;
};
void encodeRequest(const Request& r, char out[kRequestSize]);
Request decodeRequest(const char in[kRequestSize]);

// Control messages (one per SOCK_SEQPACKET packet), between start() and the monitor and between
// the monitor and its forked helpers. The kind letter, then space-separated fields:
//   'R' <pid>                         created, attach socket ready (monitor -> caller)
//   'G'                               go on (caller -> monitor, monitor -> helper)
//   'C' <pid>                         created (helper -> monitor)
//   'S' <monitorPid> <pid> <startedNs> started (monitor -> caller; helper -> monitor)
//   'O' <oomKills>                    counted OOM kills (cleanup helper -> monitor)
//   'E' <errno> <quiet> <message>     failed
struct Msg {
    char kind = 0;
    int64_t a = 0, b = 0, c = 0;
    Error err;  // kind 'E'
};
Status sendMsg(int fd, char kind, int64_t a = 0, int64_t b = 0, int64_t c = 0);
Status sendError(int fd, const Error& e);
// Blocks for one message; EOF is an EPIPE error.
Result<Msg> recvMsg(int fd);

// Unix sockets by path of any length: a path whose directory is long goes through
// /proc/self/fd/<dirfd>/<name>.
Result<UniqueFd> connectPath(const std::string& path);
// Binds a listening SOCK_STREAM socket (non-blocking, close-on-exec) at dirFd/name, replacing a
// stale one.
Result<UniqueFd> listenAt(int dirFd, const char* name, int backlog);
// Receives one message carrying an fd (SCM_RIGHTS); -1 in the result when none came.
Result<UniqueFd> recvFd(int sock, int flags = 0);

// Monotonic wall clock for timestamps: CLOCK_REALTIME in ns.
int64_t nowNs();

}  // namespace berth::monitor::proto
