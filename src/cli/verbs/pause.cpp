// `berth pause`: freeze every process of one or more containers.
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

Command cmdPause() {
    Command c;
    c.name = "pause";
    c.use = "CONTAINER [CONTAINER...]";
    c.shortHelp = "Pause all processes within one or more containers";
    c.minArgs = 1;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        return sysPostEach(ctx, f.args(), "/pause");
    };
    return c;
}

}  // namespace berth::cli
