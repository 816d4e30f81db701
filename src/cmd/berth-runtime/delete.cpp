#include "commands.h"

namespace berth::cli {

void addDelete(CLI::App& app, Context& ctx) {
    struct Opts {
        std::string id;
        bool force = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("delete", "delete a stopped container (--force: any)");
    cmd->add_flag("-f,--force", o->force, "kill the container first if it still runs");
    cmd->add_option("id", o->id, "container id")->required();
    cmd->callback([&ctx, o] {
        auto st = runtime::remove(ctx.g, o->id, o->force);
        // runc: deleting a container that is already gone is not an error with --force.
        if (!st && o->force && st.error().code == ENOENT) return;
        ctx.check(st);
    });
}

}  // namespace berth::cli
