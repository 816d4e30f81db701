// `berth container prune`: remove all stopped containers.
#include "cli/units.h"
#include "cli/verbs/sys_prune.h"

namespace berth::cli {

Command cmdContainerPrune() {
    Command c;
    c.name = "prune";
    c.use = "[OPTIONS]";
    c.shortHelp = "Remove all stopped containers";
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.list("filter", 0, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
        f.boolean("force", 'f', "Do not prompt for confirmation");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        if (!f.b("force") && !sysConfirm(ctx, "WARNING! This will remove all stopped containers."))
            return 0;
        auto rep = TRY(sysPrune(ctx, "containers", f.l("filter")));
        if (!rep.output.empty()) ctx.out(rep.output + "\n");
        ctx.out("Total reclaimed space: " + humanSize(static_cast<double>(rep.reclaimed)) + "\n");
        return 0;
    };
    return c;
}

}  // namespace berth::cli
