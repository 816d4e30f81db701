// `berth run`: create and run a new container from an image. As docker's runContainer: create
// (pulling if needed), attach on a second connection, register the exit wait, start, pump the
// streams, exit with the container's status (125/126/127 when it never ran).
#include <signal.h>

#include <nlohmann/json.hpp>

#include "cli/tty.h"
#include "cli/verbs/container_run.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

constexpr const char* kRunUse = "[OPTIONS] IMAGE [COMMAND] [ARG...]";

Result<int> runRun(Ctx& ctx, const Flags& f) {
    auto parsed = parseContainerOpts(f);
    if (!parsed) return reportOptsError(ctx, "run", kRunUse, parsed.error());
    ContainerSpec spec = std::move(*parsed);
    bool detach = f.b("detach");
    if (detach) {
        if (!spec.attach.empty())
            return Error{0, "conflicting options: cannot specify both --attach and --detach", true};
        auto j = nlohmann::json::parse(spec.body);
        j["AttachStdin"] = j["AttachStdout"] = j["AttachStderr"] = j["StdinOnce"] = false;
        spec.body = j.dump();
        spec.attachStdin = spec.attachStdout = spec.attachStderr = false;
    } else if (spec.attachStdin && spec.tty && !isTerminal(ctx.inFd)) {
        return Error{0, "the input device is not a TTY", true};
    }
    int rows = 0, cols = 0;
    if (spec.tty && !detach)
        if (auto ws = windowSize(ctx.outFd)) std::tie(rows, cols) = *ws;

    auto id = createContainer(ctx, spec, rows, cols);
    if (!id) {
        reportVerbError(ctx, "run", id.error().msg);
        return startErrorStatus(id.error().msg);
    }

    std::unique_ptr<SignalProxy> proxy;
    if (!detach && f.b("sig-proxy") && !spec.tty)
        proxy = std::make_unique<SignalProxy>(ctx, "/containers/" + *id + "/kill");

    bool attached = spec.attachStdin || spec.attachStdout || spec.attachStderr;
    if (!spec.attachStdout && !spec.attachStderr) ctx.out(*id + "\n");

    std::optional<Hijacked> stream;
    if (attached) {
        std::string path = "/containers/" + *id + "/attach" +
                           query({{"stream", "1"},
                                  {"stdin", spec.attachStdin ? "1" : ""},
                                  {"stdout", spec.attachStdout ? "1" : ""},
                                  {"stderr", spec.attachStderr ? "1" : ""},
                                  {"detachKeys", f.s("detach-keys")}});
        auto h = openHijacked(ctx, path, "");
        if (!h) {
            reportVerbError(ctx, "run", h.error().msg);
            return kExitCliError;
        }
        stream.emplace(std::move(*h));
    }

    std::unique_ptr<ExitWaiter> waiter;
    if (attached || spec.autoRemove) {
        auto w = ExitWaiter::start(ctx, *id, spec.autoRemove ? "removed" : "next-exit");
        if (!w) {
            reportVerbError(ctx, "run", w.error().msg);
            return kExitCliError;
        }
        waiter = std::move(*w);
    }

    auto started = apiPost(ctx, "/containers/" + *id + "/start", nullptr);
    if (!started) {
        reportVerbError(ctx, "run", started.error().msg);
        if (spec.autoRemove && waiter) (void)waiter->result();
        return startErrorStatus(started.error().msg);
    }

    if (stream) {
        SessionOptions so;
        so.stdinAttached = spec.attachStdin;
        so.stdoutAttached = spec.attachStdout;
        so.stderrAttached = spec.attachStderr;
        so.tty = spec.tty;
        so.detachKeys = f.s("detach-keys");
        so.resizePath = "/containers/" + *id + "/resize";
        auto res = runSession(ctx, *stream, so);
        if (!res) return std::move(res).error();
        if (res->detached) return 0;
    }
    if (!spec.attachStdout && !spec.attachStderr) return 0;

    auto status = waiter->result();
    if (!status) {
        ctx.err(fmt::format("Error waiting for container: {}\n", status.error().msg));
        return kExitCliError;
    }
    return *status;
}

}  // namespace

Command cmdRun() {
    Command c;
    c.name = "run";
    c.use = kRunUse;
    c.shortHelp = "Create and run a new container from an image";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.interspersed = false;
    c.flags = [](Flags& f) { defineContainerFlags(f, true); };
    c.run = runRun;
    return c;
}

}  // namespace berth::cli
