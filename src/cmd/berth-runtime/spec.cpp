#include <fcntl.h>

#include "common/sys.h"
#include "commands.h"

namespace berth::cli {

void addSpec(CLI::App& app, Context& ctx) {
    struct Opts {
        std::string bundle = ".";
        bool rootless = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("spec", "write a default config.json into the bundle");
    cmd->add_option("-b,--bundle", o->bundle, "bundle directory")->capture_default_str();
    cmd->add_flag("--rootless", o->rootless, "a config for running without root");
    cmd->callback([&ctx, o] {
        std::string path = o->bundle + "/config.json";
        if (sys::exists(path)) {
            return ctx.fail(makeError(EEXIST, "{} exists; remove it first", path));
        }
        ctx.check(sys::writeFile(path, spec::defaultSpecJson(o->rootless) + "\n",
                                 O_WRONLY | O_CREAT | O_EXCL, 0666));
    });
}

}  // namespace berth::cli
