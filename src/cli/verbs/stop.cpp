// `berth stop`: stop one or more running containers.
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

Command cmdStop() {
    Command c;
    c.name = "stop";
    c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
    c.shortHelp = "Stop one or more running containers";
    c.minArgs = 1;
    c.flags = [](Flags& f) {
        f.string("signal", 's', "", "Signal to send to the container");
        f.integer("timeout", 't', 0, "Seconds to wait before killing the container");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string t = f.changed("timeout") ? std::to_string(f.i("timeout")) : "";
        return sysPostEach(ctx, f.args(), "/stop" + query({{"signal", f.s("signal")}, {"t", t}}));
    };
    return c;
}

}  // namespace berth::cli
