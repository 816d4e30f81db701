// `berth inspect`: return low-level information on Berth objects.
#include "cli/verbs/info_common.h"
#include "cli/verbs/info_inspect.h"
#include "cli/verbs/util.h"

namespace berth::cli {

Command cmdInspect() {
    Command c;
    c.name = "inspect";
    c.use = "[OPTIONS] NAME|ID [NAME|ID...]";
    c.shortHelp = "Return low-level information on Berth objects";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.flags = [](Flags& f) {
        f.string("format", 'f', "", kInfoFormatJsonUsage);
        f.boolean("size", 's', "Display total file sizes if the type is container");
        f.string("type", 0, "", "Only inspect objects of the given type");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        InfoInspectOptions o;
        o.kind = f.s("type");
        o.format = f.s("format");
        o.size = f.b("size");
        if (!o.kind.empty() && o.kind != "container" && o.kind != "image" && o.kind != "network" &&
            o.kind != "volume") {
            // docker's list also names its swarm types.
            return Error{0,
                         "unknown type: \"" + o.kind +
                             "\": must be one of \"config\", \"container\", \"image\", "
                             "\"network\", \"node\", \"plugin\", \"secret\", \"service\", "
                             "\"task\", \"volume\"",
                         true};
        }
        return infoInspect(ctx, f.args(), o);
    };
    return c;
}

}  // namespace berth::cli
