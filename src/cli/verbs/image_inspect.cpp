// `berth image inspect`: display detailed information on one or more images.
#include "cli/verbs/info_common.h"
#include "cli/verbs/info_inspect.h"
#include "cli/verbs/util.h"

namespace berth::cli {

Command cmdImageInspect() {
    Command c;
    c.name = "inspect";
    c.use = "[OPTIONS] IMAGE [IMAGE...]";
    c.shortHelp = "Display detailed information on one or more images";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.flags = [](Flags& f) {
        f.string("format", 'f', "", kInfoFormatJsonUsage);
        f.string("platform", 0, "",
                 "Inspect a specific platform of the multi-platform image.\nIf the image or "
                 "the server is not multi-platform capable, the command will error out if the "
                 "platform does not match.\n'os[/arch[/variant]]': Explicit platform (eg. "
                 "linux/amd64)");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        InfoInspectOptions o;
        o.kind = "image";
        o.format = f.s("format");
        return infoInspect(ctx, f.args(), o);
    };
    return c;
}

}  // namespace berth::cli
