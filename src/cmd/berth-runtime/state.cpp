#include <cstdio>

#include "commands.h"

namespace berth::cli {

void addState(CLI::App& app, Context& ctx) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("state", "print the state of a container as JSON");
    cmd->add_option("id", *id, "container id")->required();
    cmd->callback([&ctx, id] {
        auto r = runtime::stateJson(ctx.g, *id);
        if (!r) return ctx.fail(r.error());
        std::printf("%s\n", r->c_str());
    });
}

}  // namespace berth::cli
