#include "commands.h"

namespace berth::cli {

void addKill(CLI::App& app, Context& ctx) {
    struct Opts {
        std::string id, signal = "SIGTERM";
        bool all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("kill", "send a signal (default SIGTERM) to a container");
    cmd->add_flag("-a,--all", o->all, "signal every process in the container's cgroup");
    cmd->add_option("id", o->id, "container id")->required();
    cmd->add_option("signal", o->signal, "signal name or number");
    cmd->callback([&ctx, o] {
        auto sig = runtime::parseSignal(o->signal);
        if (!sig) return ctx.fail(sig.error());
        ctx.check(runtime::kill(ctx.g, o->id, *sig, o->all));
    });
}

}  // namespace berth::cli
