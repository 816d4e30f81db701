#include "commands.h"

namespace berth::cli {

void addPauseResume(CLI::App& app, Context& ctx) {
    auto id = std::make_shared<std::string>();
    auto* p = app.add_subcommand("pause", "freeze every process of a container");
    p->add_option("id", *id, "container id")->required();
    p->callback([&ctx, id] { ctx.check(runtime::pause(ctx.g, *id)); });
    auto id2 = std::make_shared<std::string>();
    auto* r = app.add_subcommand("resume", "thaw a paused container");
    r->add_option("id", *id2, "container id")->required();
    r->callback([&ctx, id2] { ctx.check(runtime::resume(ctx.g, *id2)); });
}

}  // namespace berth::cli
