#include "commands.h"

namespace berth::cli {

void addStart(CLI::App& app, Context& ctx) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("start", "start the user process of a created container");
    cmd->add_option("id", *id, "container id")->required();
    cmd->callback([&ctx, id] { ctx.check(runtime::start(ctx.g, *id)); });
}

}  // namespace berth::cli
