// The runtime library's public API: OCI bundle -> container, and every lifecycle operation.
// `berth-runtime` is a thin command line over this; the engine's monitor calls it in-process.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/spec.h"
#include "runtime/state.h"

namespace berth::runtime {

struct Globals {
    std::string root = "/run/berth-runtime";  // state directory
    bool systemdCgroup = false;
    std::string cgroupRoot = "/sys/fs/cgroup";
};

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string consoleSocket;
    std::string pidFile;
    bool noPivot = false;
    bool noNewKeyring = false;
    int preserveFds = 0;  // fds 3..3+N-1 are passed on (plus LISTEN_FDS ones)
};

// create: returns once the init waits for `start` (its host pid).
Result<pid_t> create(const Globals& g, const CreateOptions& o);
// start: releases the init; runs poststart hooks.
Status start(const Globals& g, const std::string& id);
// run: create + start; with detach returns at once (exit code 0), else waits and deletes, and
// returns the container's exit code (128+signal when killed).
Result<int> run(const Globals& g, const CreateOptions& o, bool detach, bool keep);

Result<state::State> load(const Globals& g, const std::string& id);
// OCI state JSON of one container.
Result<std::string> stateJson(const Globals& g, const std::string& id);

Status kill(const Globals& g, const std::string& id, int sig, bool all);
Status remove(const Globals& g, const std::string& id, bool force);
Status pause(const Globals& g, const std::string& id);
Status resume(const Globals& g, const std::string& id);
Status update(const Globals& g, const std::string& id, const spec::Resources& r);
Result<std::vector<pid_t>> processes(const Globals& g, const std::string& id);

struct ExecOptions {
    std::string id;
    std::optional<spec::Process> process;  // from --process, else built from the fields below
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd;
    std::optional<spec::User> user;
    std::vector<std::string> addCaps;
    std::optional<bool> tty;
    bool noNewPrivs = false;
    bool detach = false;
    bool ignorePaused = false;
    std::string consoleSocket;
    std::string pidFile;
    int preserveFds = 0;
};
// Returns the exit code (foreground) or 0 once the process runs (detach).
Result<int> exec(const Globals& g, ExecOptions o);

// Parses a signal given as "KILL", "SIGKILL" or "9".
Result<int> parseSignal(const std::string& s);

}  // namespace berth::runtime
