// `berth container inspect`: display detailed information on one or more containers.
#include "cli/verbs/info_common.h"
#include "cli/verbs/info_inspect.h"
#include "cli/verbs/util.h"

namespace berth::cli {

Command cmdContainerInspect() {
    Command c;
    c.name = "inspect";
    c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
    c.shortHelp = "Display detailed information on one or more containers";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.flags = [](Flags& f) {
        f.string("format", 'f', "", kInfoFormatJsonUsage);
        f.boolean("size", 's', "Display total file sizes");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        InfoInspectOptions o;
        o.kind = "container";
        o.format = f.s("format");
        o.size = f.b("size");
        return infoInspect(ctx, f.args(), o);
    };
    return c;
}

}  // namespace berth::cli
