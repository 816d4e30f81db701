// `berth logout`: forget the stored credentials of a registry.
#include <nlohmann/json.hpp>

#include "cli/config.h"
#include "cli/verbs/util.h"

namespace berth::cli {

Command cmdLogout() {
    Command c;
    c.name = "logout";
    c.use = "[SERVER]";
    c.shortHelp = "Log out from a registry";
    c.longHelp =
        "Log out from a registry.\nIf no server is specified, the default is defined by "
        "the daemon.";
    c.minArgs = 0;
    c.maxArgs = 1;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string key = authKey(f.args().empty() ? "docker.io" : f.args()[0]);
        ctx.out("Removing login credentials for " + key + "\n");
        auto cfg = TRY(loadConfig(ctx.configPath()));
        if (removeAuth(cfg, key)) TRY(saveConfig(ctx.configPath(), cfg));
        return 0;
    };
    return c;
}

}  // namespace berth::cli
