// `berth start`: start one or more stopped containers; with -a/-i attach to one first (as
// `run` does) and exit with its status.
#include <signal.h>

#include <nlohmann/json.hpp>

#include "cli/tty.h"
#include "cli/verbs/container_run.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> startAttached(Ctx& ctx, const Flags& f, const std::string& name) {
    auto c = TRY(apiGet(ctx, "/containers/" + name + "/json"));
    std::string id = c.value("Id", name);
    bool tty = c["Config"].value("Tty", false);
    bool openStdin = c["Config"].value("OpenStdin", false);
    bool autoRemove = c["HostConfig"].value("AutoRemove", false);
    bool in = f.b("interactive") && openStdin;
    if (in && tty && !isTerminal(ctx.inFd)) return Error{0, "the input device is not a TTY", true};

    std::unique_ptr<SignalProxy> proxy;
    if (!tty) proxy = std::make_unique<SignalProxy>(ctx, "/containers/" + id + "/kill");
    std::string path = "/containers/" + id + "/attach" +
                       query({{"stream", "1"},
                              {"stdin", in ? "1" : ""},
                              {"stdout", "1"},
                              {"stderr", "1"},
                              {"detachKeys", f.s("detach-keys")}});
    auto h = TRY(openHijacked(ctx, path, ""));
    auto waiter = TRY(ExitWaiter::start(ctx, id, autoRemove ? "removed" : "next-exit"));
    TRY(apiPost(ctx, "/containers/" + id + "/start", nullptr));
    SessionOptions so;
    so.stdinAttached = in;
    so.tty = tty;
    so.detachKeys = f.s("detach-keys");
    so.resizePath = "/containers/" + id + "/resize";
    auto res = TRY(runSession(ctx, h, so));
    if (res.detached) return 0;
    return TRY(waiter->result());
}

Result<int> runStart(Ctx& ctx, const Flags& f) {
    const auto& names = f.args();
    if (f.b("attach") || f.b("interactive")) {
        if (names.size() > 1)
            return Error{0, "you cannot start and attach multiple containers at once", true};
        return startAttached(ctx, f, names[0]);
    }
    std::vector<std::string> failed;
    std::string q =
        query({{"checkpoint", f.s("checkpoint")}, {"checkpoint-dir", f.s("checkpoint-dir")}});
    for (auto& n : names) {
        auto r = apiPost(ctx, "/containers/" + n + "/start" + q, nullptr);
        if (!r) {
            if (r.error().msg.rfind("cannot reach berthd", 0) == 0) return std::move(r).error();
            ctx.err(r.error().msg + "\n");
            failed.push_back(n);
            continue;
        }
        ctx.out(n + "\n");
    }
    if (failed.empty()) return 0;
    std::string list;
    for (auto& n : failed) list += (list.empty() ? "" : ", ") + n;
    return Error{0, "Error: failed to start containers: " + list, true};
}

}  // namespace

Command cmdStart() {
    Command c;
    c.name = "start";
    c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
    c.shortHelp = "Start one or more stopped containers";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.flags = [](Flags& f) {
        f.boolean("attach", 'a', "Attach STDOUT/STDERR and forward signals");
        f.string("checkpoint", 0, "", "Restore from this checkpoint");
        f.string("checkpoint-dir", 0, "", "Use a custom checkpoint storage directory");
        f.string("detach-keys", 0, "", "Override the key sequence for detaching a container");
        f.boolean("interactive", 'i', "Attach container's STDIN");
    };
    c.run = runStart;
    return c;
}

}  // namespace berth::cli
