// berth-monitor's process: one per container (mode create) or exec (mode exec). See
// src/monitor/monitor.h for the model and src/monitor/README.md for the protocol.
//
// The long-lived process only runs the poll loop below with fixed buffers; everything that
// touches the runtime library (create, start, exec, OOM count + delete) runs in short-lived
// forked helpers (helpers.cpp), so that library's heap and code pages are never mapped into the
// process that stays for the container's lifetime.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/result.h"
#include "monitor/log_writer.h"

namespace berth::monitor::daemon {

struct Config {
    bool exec = false;  // mode exec (else create)
    std::string id, execId, bundle, stateDir, runtimeRoot, logPath;
    int64_t logMaxSize = 0;
    int logMaxFiles = 1;
    bool tty = false, openStdin = false, stdinOnce = false;
    unsigned height = 0, width = 0;
};

Result<Config> parseArgs(int argc, char** argv);

enum class Phase { Creating, Ready, Starting, Running };
enum class HelperKind { Create, Exec, Cleanup };

inline constexpr int kMaxClients = 48;
inline constexpr size_t kIoBuf = 16 * 1024;

struct Client {
    int fd = -1;
    uint8_t flags = 0;      // proto::ReqFlags
    bool pending = true;    // request not read yet
    bool wait = false;      // a Wait connection
    bool inClosed = false;  // the client half-closed (or has nothing to send us)
};

struct Monitor {
    Config cfg;
    pid_t self = 0;
    int dirFd = -1, lockFd = -1, listenFd = -1, consoleFd = -1, sigFd = -1;
    int ctlFd = -1;     // the caller of start(), until the process runs
    int helperFd = -1;  // the running helper's socket
    pid_t helperPid = 0;
    Phase phase = Phase::Creating;

    // The container's stdio: our ends, and the ends the process gets (closed once handed over).
    int out[3] = {-1, -1, -1};  // [1] stdout or the pty, [2] stderr
    int stdinFd = -1;           // pipe write end, or the pty
    int ptyFd = -1;
    int childIo[3] = {-1, -1, -1};

    pid_t target = 0;  // the container's init / the exec'd process
    bool exited = false;
    int waitStatus = 0;
    int64_t startedAt = 0, finishedAt = 0;
    struct Reaped {
        pid_t pid;
        int status;
    } reaped[16] = {};
    int nReaped = 0;

    Client clients[kMaxClients];
    char stdinBuf[4096];
    size_t stdinLen = 0, stdinOff = 0;
    bool stdinCloseWanted = false;

    LogWriter* log = nullptr;
};

Monitor& mon();

// setup.cpp: state dir, lock, sockets, stdio; then the first helper (create) or 'R' (exec).
Status setup();
// Drops the page-table entries of code and read-only data faulted in so far.
void trimResidentCode();
// Sends the error to the caller (if still there), records it as the exit status, exits.
[[noreturn]] void failStart(const Error& e);

// helpers.cpp
Status forkHelper(HelperKind k);
// Receives the pty master over the console socket (after create / exec).
Status takePty();

// loop.cpp
[[noreturn]] void runLoop();

// finish.cpp: drain, exit status, runtime cleanup, tell the clients, exit.
[[noreturn]] void finish();
void reapChildren();
int dockerExitCode(int waitStatus);

}  // namespace berth::monitor::daemon
