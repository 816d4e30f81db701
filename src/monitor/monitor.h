// The monitor's client API, used by the engine: spawn a `berth-monitor` per container (and per
// exec), learn its state after the fact (also after a daemon restart), attach, resize, wait.
//
// Process model. start() posix_spawns the monitor binary, which detaches at once (new session,
// double fork: the caller need not reap it and it survives the caller's death or kill -9). The
// monitor is the container's parent and child subreaper: it creates the container through the
// runtime library in a short-lived forked helper (so the library's heap and code stay out of
// the long-lived process), owns the container's stdio (pipes, or a pty received over the
// runtime's console socket), appends the json-file log, serves attach/resize/wait on
// <stateDir>/attach.sock, reaps the process, writes the exit status, removes the runtime state
// and exits. Nothing here talks to berthd: the state directory is the only shared state.
//
// State directory (<runRoot>/monitors/<id>/, execs under exec/<execId>/):
//   lock         flock'ed by the monitor while it lives (monitorAlive)
//   state        "<monitorPid> <pid> <startedAtNs>" (pid 0 until the process runs)
//   exit         "<exitCode> <finishedAtNs> <oomKilled 0|1>\n<error>" once it has ended
//   attach.sock  the monitor's unix socket (gone once the monitor has exited)
//   monitor.log  the monitor's own stderr (runtime warnings, fatal errors)
//   process.json the exec's OCI process (exec monitors only)
//
// Errors: every function returns the errno that caused it (ENOENT when the state directory
// does not exist, ECONNREFUSED/ENOENT from attach/resize when the monitor has gone); start()
// returns the runtime's error with its errno (ENOENT for a missing executable, EACCES for one
// that is not executable: see exitCodeHint()).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::monitor {

struct ContainerSpec {
    std::string id;           // the runtime's container id
    std::string bundle;       // OCI bundle dir with config.json (rootfs already mounted)
    std::string stateDir;     // <runRoot>/monitors/<id>/ (created by start())
    std::string runtimeRoot;  // runtime::Globals::root
    std::string logPath;      // json-file log; "" = no log
    int64_t logMaxSize = 0;   // bytes; 0 = no rotation
    int logMaxFiles = 1;      // container.log + .1 .. .N-1
    bool tty = false, openStdin = false, stdinOnce = false;
    unsigned consoleHeight = 0, consoleWidth = 0;  // TTY size before the process runs
};

struct Started {
    pid_t monitorPid = 0, pid = 0;  // pid: the container's init (exec: the process), host view
    int64_t startedAtNs = 0;        // CLOCK_REALTIME
};

// Spawns the monitor; it creates the container (runtime::create), opens its attach socket,
// then beforeStart(stateDir) runs here in the caller (attach now and no output is lost), then
// the monitor starts the process (runtime::start). Returns once the process runs, or the
// runtime's error (the state directory is removed then). Blocks; thread-safe.
Result<Started> start(const std::string& monitorPath, const ContainerSpec& s,
                      const std::function<void(const std::string& stateDir)>& beforeStart);

struct ExecSpec {
    std::string containerId, execId;
    std::string stateDir;     // <runRoot>/monitors/<id>/exec/<execId>/ (created by startExec())
    std::string runtimeRoot;  // runtime::Globals::root
    std::string processJson;  // the OCI process (runtime-spec "process" object)
    bool tty = false, openStdin = false;  // tty overrides processJson's "terminal"
    unsigned consoleHeight = 0, consoleWidth = 0;
};

// exec: the same binary runs the process in the running container (runtime::exec), owning its
// stdio the same way; its output goes to attachers only, never to the container log. stdin is
// closed when the (stdin-streaming) attacher half-closes, as docker does for exec.
Result<Started> startExec(const std::string& monitorPath, const ExecSpec& s,
                          const std::function<void(const std::string& stateDir)>& beforeStart);

struct ExitStatus {
    int exitCode = 0;  // docker's: the exit code, or 128+signal
    int64_t finishedAtNs = 0;
    bool oomKilled = false;  // the memory cgroup's oom_kill counter moved (v1 or v2)
    std::string error;       // set when the process never ran
};

struct State {
    bool monitorAlive = false;
    pid_t monitorPid = 0, pid = 0;
    int64_t startedAtNs = 0;
    std::optional<ExitStatus> exit;
};

// From the state directory alone. monitorAlive false with no exit: the monitor was killed
// (the container may still run, unmonitored; its exit code is lost).
Result<State> inspect(const std::string& stateDir);

// An fd that turns readable (EOF) once the process has exited, the exit status is on disk and
// the runtime state is removed. Already readable when that has happened.
Result<UniqueFd> watchExit(const std::string& stateDir);

struct AttachRequest {
    bool stdinStream = false, stdoutStream = true, stderrStream = true;
};

// A connected stream in docker's attach format: raw with a TTY; 8-byte multiplexed frames
// (stream 1/2, 3 zero bytes, big-endian uint32 length) without. Registered with the monitor
// when this returns (output from then on is delivered). Bytes written to it go to the
// process's stdin (with stdinStream); shutdown(SHUT_WR) closes the process's stdin when the
// container has stdinOnce (always for an exec; never with a TTY). Several attachers may be
// connected; output goes to all. An attacher that does not read is dropped (EOF) once about
// 4 MiB are queued to it, rather than stalling the container. EOF once the process has exited.
Result<UniqueFd> attach(const std::string& stateDir, const AttachRequest& r);

// TIOCSWINSZ on the pty (SIGWINCH to the process); a no-op without a TTY.
Status resize(const std::string& stateDir, unsigned height, unsigned width);

// Removes a finished monitor's state directory (EBUSY while the monitor lives).
Status cleanup(const std::string& stateDir);

// docker's exit code for a container that failed to start: 127 when the executable was not
// found, 126 when it cannot be executed, else 128.
int exitCodeHint(const Error& e);

// Log files: docker's json-file format, one object per line
// {"log":"text\n","stream":"stdout","time":"2026-11-25T10:00:00.123456789Z"}, rotated by size
// to <log>.1 .. <log>.N-1. The monitor writes (log_writer.h); the engine reads here.
struct LogReadOptions {
    bool stdoutStream = true, stderrStream = true;
    bool follow = false;
    int64_t sinceNs = 0, untilNs = 0;  // 0 = unbounded; since inclusive, until inclusive
    int tail = -1;                     // last N entries (of both streams); -1 = all
};

// Calls sink(stream 1|2, line incl. its '\n' (a partial line has none), timeNs) in order across
// the rotated files. With follow, keeps reading (inotify, rotation and truncation handled)
// until stopFollow() returns true (asked whenever the current file is drained and at least
// every 250 ms; after it says true the file is drained once more). Returns when done, when an
// entry is past untilNs, or when sink returns false. A missing log is an empty log.
Status readLog(const std::string& logPath, int maxFiles, const LogReadOptions& o,
               const std::function<bool(int, std::string_view, int64_t)>& sink,
               const std::function<bool()>& stopFollow);

}  // namespace berth::monitor
