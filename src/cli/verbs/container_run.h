// What run, create, start, attach and exec share: creating a container (pulling its image when
// missing), waiting for its exit without missing it, forwarding our signals to it, and the
// attached session (raw terminal, resize, the hijacked stream) - docker's runContainer pieces.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/ctx.h"
#include "cli/stream.h"
#include "cli/verbs/container_opts.h"
#include "common/result.h"

namespace berth::cli {

// docker's error for run/create/start: "berth: <msg>\n\nRun 'berth <verb> --help' for more
// information\n" on stderr.
void reportVerbError(Ctx& ctx, std::string_view verb, std::string_view msg);

// A parseContainerOpts error as docker prints it: a bad flag value with the usage line (as
// pflag's errors), anything else as reportVerbError. Returns 125.
int reportOptsError(Ctx& ctx, std::string_view verb, std::string_view use, const Error& e);

// The exit status docker gives a container that failed to start: 127 when the command was not
// found, 126 when it could not be invoked, else 125 (docker matches the daemon's text).
int startErrorStatus(std::string_view msg);

// POST /containers/create (pulling the image first with --pull=always, or when it is missing
// and --pull=missing: "Unable to find image 'x:latest' locally" then the pull's progress on
// stderr). Daemon warnings go to stderr; --cidfile gets the ID. consoleSize: [rows, cols] to
// put in HostConfig ({0,0}: leave it). Returns the ID; errors carry the text to report.
Result<std::string> createContainer(Ctx& ctx, const ContainerSpec& spec, int rows = 0,
                                    int cols = 0);

// A wait registered at the daemon before the container starts, so a fast exit is not missed.
// condition: "next-exit", "removed", "not-running".
class ExitWaiter {
  public:
    static Result<std::unique_ptr<ExitWaiter>> start(Ctx& ctx, const std::string& id,
                                                     const std::string& condition);
    ~ExitWaiter();
    // The container's exit status (blocks until it is known).
    Result<int> result();

    struct State;

  private:
    ExitWaiter() = default;
    std::shared_ptr<State> st_;
};

// Forwards the signals we receive (INT, TERM, HUP, QUIT, USR1, USR2, ...) to the container as
// POST /containers/{id}/kill?signal=N while alive (docker's --sig-proxy).
class SignalProxy {
  public:
    SignalProxy(Ctx& ctx, std::string path);  // path: "/containers/<id>/kill" (or exec's)
    ~SignalProxy();

    struct State;

  private:
    std::shared_ptr<State> st_;
};

struct SessionOptions {
    bool stdinAttached = false, stdoutAttached = true, stderrAttached = true;
    bool tty = false;
    std::string detachKeys;  // "" = docker's default (ctrl-p,ctrl-q)
    // "/containers/<id>/resize" or "/exec/<id>/resize"; "" = no resize.
    std::string resizePath;
};

// Opens a second connection to the daemon and hijacks it for `path` (attach or exec start).
Result<Hijacked> openHijacked(Ctx& ctx, const std::string& path, const std::string& body);

// Pumps an attached session to the end (or the detach keys): raw mode on our terminal with a
// TTY and stdin attached, window size sent at the start and on SIGWINCH.
Result<PumpResult> runSession(Ctx& ctx, Hijacked& h, const SessionOptions& o);

// The image reference docker prints: "busybox" -> "busybox:latest".
std::string taggedRef(std::string_view image);

}  // namespace berth::cli
