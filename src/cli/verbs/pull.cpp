// `berth pull`: download an image from a registry.
#include "cli/verbs/image_progress.h"
#include "cli/verbs/image_ref.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runPull(Ctx& ctx, const Flags& f) {
    std::string ref = f.args()[0];
    ImageRef r = parseImageRef(ref);
    bool all = f.b("all-tags");
    if (all && (!r.tag.empty() || !r.digest.empty()))
        return invalid("tag can't be used with --all-tags/-a");
    if (!all && r.tag.empty() && r.digest.empty()) {
        ctx.out("Using default tag: latest\n");
        r.tag = "latest";
    }
    std::string name = fullName(ref);
    Request req;
    req.method = "POST";
    req.path = "/images/create" + query({{"fromImage", name},
                                         {"tag", r.digest.empty() ? r.tag : r.digest},
                                         {"platform", f.s("platform")}});
    req.headers.push_back({"X-Registry-Auth", imageAuthHeader(ctx, ref)});
    ProgressOptions po;
    po.terminal = ctx.outIsTerminal();
    po.display = !f.b("quiet");
    TRY(streamProgress(ctx, req, po));
    if (all)
        ctx.out(name + "\n");
    else
        ctx.out(r.digest.empty() ? name + ":" + r.tag + "\n" : name + "@" + r.digest + "\n");
    return 0;
}

}  // namespace

Command cmdPull() {
    Command c;
    c.name = "pull";
    c.use = "[OPTIONS] NAME[:TAG|@DIGEST]";
    c.shortHelp = "Download an image from a registry";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.boolean("all-tags", 'a', "Download all tagged images in the repository");
        f.boolean("disable-content-trust", 0, "Skip image verification", true);
        f.string("platform", 0, "", "Set platform if server is multi-platform capable");
        f.boolean("quiet", 'q', "Suppress verbose output");
    };
    c.run = runPull;
    return c;
}

}  // namespace berth::cli
