#include <cstdio>

#include "commands.h"
#include "runtime/features.h"

namespace berth::cli {

void addFeatures(CLI::App& app, Context&) {
    auto* cmd = app.add_subcommand("features", "print the features this runtime supports (JSON)");
    cmd->callback([] { std::printf("%s\n", features::featuresJson().c_str()); });
}

}  // namespace berth::cli
