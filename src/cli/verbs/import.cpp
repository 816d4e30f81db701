// `berth import`: create a filesystem image from a tarball (a file, `-` for stdin, or a URL
// the daemon fetches).
#include "cli/verbs/image_io.h"
#include "cli/verbs/image_progress.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runImport(Ctx& ctx, const Flags& f) {
    const std::string& src = f.args()[0];
    std::string repo = f.args().size() > 1 ? f.args()[1] : "";
    Request req;
    req.method = "POST";
    std::string fromSrc = "-";
    if (src == "-") {
        req.body = TRY(readAll(ctx.inFd));
    } else if (src.rfind("http://", 0) == 0 || src.rfind("https://", 0) == 0) {
        fromSrc = src;
    } else {
        auto r = readWholeFile(src);
        if (!r) return Error{r.error().code, r.error().str(), true};
        req.body = std::move(*r);
    }
    std::string q = query({{"fromSrc", fromSrc},
                           {"message", f.s("message")},
                           {"platform", f.s("platform")},
                           {"repo", repo}});
    for (auto& ch : f.l("change")) q += "&changes=" + urlEncode(ch);
    req.path = "/images/create" + q;
    req.contentType = "application/x-tar";
    ProgressOptions po;
    po.terminal = ctx.outIsTerminal();
    TRY(streamProgress(ctx, req, po));
    return 0;
}

}  // namespace

Command cmdImport() {
    Command c;
    c.name = "import";
    c.use = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]";
    c.shortHelp = "Import the contents from a tarball to create a filesystem image";
    c.minArgs = 1;
    c.maxArgs = 2;
    c.flags = [](Flags& f) {
        f.list("change", 'c', "Apply Dockerfile instruction to the created image");
        f.string("message", 'm', "", "Set commit message for imported image");
        f.string("platform", 0, "", "Set platform if server is multi-platform capable");
    };
    c.run = runImport;
    return c;
}

}  // namespace berth::cli
