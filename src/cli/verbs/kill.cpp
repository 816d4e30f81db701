// `berth kill`: send a signal (SIGKILL by default) to one or more running containers.
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

Command cmdKill() {
    Command c;
    c.name = "kill";
    c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
    c.shortHelp = "Kill one or more running containers";
    c.minArgs = 1;
    c.flags = [](Flags& f) { f.string("signal", 's', "", "Signal to send to the container"); };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        return sysPostEach(ctx, f.args(), "/kill" + query({{"signal", f.s("signal")}}));
    };
    return c;
}

}  // namespace berth::cli
