// `berth load`: load images from a tar archive (a file or stdin).
#include "cli/verbs/image_io.h"
#include "cli/verbs/image_progress.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runLoad(Ctx& ctx, const Flags& f) {
    std::string body;
    if (!f.s("input").empty()) {
        auto r = readWholeFile(f.s("input"));
        if (!r) return Error{r.error().code, r.error().str(), true};
        body = std::move(*r);
    } else {
        if (ctx.inIsTerminal()) return invalid("requested load from stdin, but stdin is empty");
        body = TRY(readAll(ctx.inFd));
    }
    Request req;
    req.method = "POST";
    req.path =
        "/images/load" + query({{"quiet", f.b("quiet") ? "1" : ""}, {"platform", f.s("platform")}});
    req.body = std::move(body);
    req.contentType = "application/x-tar";
    ProgressOptions po;
    po.terminal = ctx.outIsTerminal();
    TRY(streamProgress(ctx, req, po));
    return 0;
}

}  // namespace

Command cmdLoad() {
    Command c;
    c.name = "load";
    c.use = "[OPTIONS]";
    c.shortHelp = "Load an image from a tar archive or STDIN";
    c.minArgs = 0;
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.string("input", 'i', "", "Read from tar archive file, instead of STDIN");
        f.string("platform", 0, "",
                 "Load only the given platform variant. Formatted as \"os[/arch[/variant]]\" "
                 "(e.g., \"linux/amd64\")");
        f.boolean("quiet", 'q', "Suppress the load output");
    };
    c.run = runLoad;
    return c;
}

}  // namespace berth::cli
