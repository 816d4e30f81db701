// `berth restart`: restart one or more containers.
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

Command cmdRestart() {
    Command c;
    c.name = "restart";
    c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
    c.shortHelp = "Restart one or more containers";
    c.minArgs = 1;
    c.flags = [](Flags& f) {
        f.string("signal", 's', "", "Signal to send to the container");
        f.integer("timeout", 't', 0, "Seconds to wait before killing the container");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string t = f.changed("timeout") ? std::to_string(f.i("timeout")) : "";
        return sysPostEach(ctx, f.args(),
                           "/restart" + query({{"signal", f.s("signal")}, {"t", t}}));
    };
    return c;
}

}  // namespace berth::cli
