#include "commands.h"

namespace berth::cli {

void addRun(CLI::App& app, Context& ctx) {
    struct Opts {
        runtime::CreateOptions c;
        bool detach = false, keep = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("run", "create and start a container");
    addCreateFlags(cmd, o->c);
    cmd->add_flag("-d,--detach", o->detach, "return once the container runs");
    cmd->add_flag("--keep", o->keep, "do not delete the container after it exits");
    cmd->callback([&ctx, o] {
        auto r = runtime::run(ctx.g, o->c, o->detach, o->keep);
        if (!r) {
            ctx.fail(r.error());
        } else {
            ctx.exitCode = *r;
        }
    });
}

}  // namespace berth::cli
