// `berth attach`: attach our standard streams to a running container; exit with its status
// when it ends (0 after the detach keys).
#include <signal.h>

#include <nlohmann/json.hpp>

#include "cli/tty.h"
#include "cli/verbs/container_run.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runAttach(Ctx& ctx, const Flags& f) {
    const std::string& name = f.args()[0];
    auto c = TRY(apiGet(ctx, "/containers/" + name + "/json"));
    std::string id = c.value("Id", name);
    const auto& state = c["State"];
    if (!state.value("Running", false))
        return Error{0, "You cannot attach to a stopped container, start it first", true};
    if (state.value("Paused", false))
        return Error{0, "You cannot attach to a paused container, unpause it first", true};
    if (state.value("Restarting", false))
        return Error{0, "You cannot attach to a restarting container, wait until it is running",
                     true};
    bool tty = c["Config"].value("Tty", false);
    bool in = !f.b("no-stdin") && c["Config"].value("OpenStdin", false);
    if (in && tty && !isTerminal(ctx.inFd)) return Error{0, "the input device is not a TTY", true};

    auto waiter = TRY(ExitWaiter::start(ctx, id, "not-running"));
    std::unique_ptr<SignalProxy> proxy;
    if (f.b("sig-proxy") && !tty)
        proxy = std::make_unique<SignalProxy>(ctx, "/containers/" + id + "/kill");
    std::string path = "/containers/" + id + "/attach" +
                       query({{"stream", "1"},
                              {"stdin", in ? "1" : ""},
                              {"stdout", "1"},
                              {"stderr", "1"},
                              {"detachKeys", f.s("detach-keys")}});
    auto h = TRY(openHijacked(ctx, path, ""));
    SessionOptions so;
    so.stdinAttached = in;
    so.tty = tty;
    so.detachKeys = f.s("detach-keys");
    so.resizePath = "/containers/" + id + "/resize";
    auto res = TRY(runSession(ctx, h, so));
    if (res.detached) return 0;
    return TRY(waiter->result());
}

}  // namespace

Command cmdAttach() {
    Command c;
    c.name = "attach";
    c.use = "[OPTIONS] CONTAINER";
    c.shortHelp = "Attach local standard input, output, and error streams to a running container";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.string("detach-keys", 0, "", "Override the key sequence for detaching a container");
        f.boolean("no-stdin", 0, "Do not attach STDIN");
        f.boolean("sig-proxy", 0, "Proxy all received signals to the process", true);
    };
    c.run = runAttach;
    return c;
}

}  // namespace berth::cli
