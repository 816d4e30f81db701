// `berth unpause`: thaw the processes of one or more paused containers.
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

Command cmdUnpause() {
    Command c;
    c.name = "unpause";
    c.use = "CONTAINER [CONTAINER...]";
    c.shortHelp = "Unpause all processes within one or more containers";
    c.minArgs = 1;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        return sysPostEach(ctx, f.args(), "/unpause");
    };
    return c;
}

}  // namespace berth::cli
