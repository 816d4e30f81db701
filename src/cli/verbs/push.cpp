// `berth push`: upload an image to a registry.
#include "cli/verbs/image_progress.h"
#include "cli/verbs/image_ref.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runPush(Ctx& ctx, const Flags& f) {
    std::string ref = f.args()[0];
    ImageRef r = parseImageRef(ref);
    bool all = f.b("all-tags");
    if (all && !r.tag.empty()) return invalid("tag can't be used with --all-tags/-a");
    if (!r.digest.empty()) return invalid("cannot push a digested reference");
    if (!all && r.tag.empty()) {
        ctx.out("Using default tag: latest\n");
        r.tag = "latest";
    }
    std::string name = fullName(ref);
    Request req;
    req.method = "POST";
    req.path = "/images/" + name + "/push" + query({{"tag", r.tag}, {"platform", f.s("platform")}});
    req.headers.push_back({"X-Registry-Auth", imageAuthHeader(ctx, ref)});
    ProgressOptions po;
    po.terminal = ctx.outIsTerminal();
    po.display = !f.b("quiet");
    TRY(streamProgress(ctx, req, po));
    if (f.b("quiet")) ctx.out(all ? r.name + "\n" : r.name + ":" + r.tag + "\n");
    return 0;
}

}  // namespace

Command cmdPush() {
    Command c;
    c.name = "push";
    c.use = "[OPTIONS] NAME[:TAG]";
    c.shortHelp = "Upload an image to a registry";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.boolean("all-tags", 'a', "Push all tags of an image to the repository");
        f.boolean("disable-content-trust", 0, "Skip image signing", true);
        f.string("platform", 0, "",
                 "Push a platform-specific manifest as a single-platform image to the "
                 "registry.\nImage index won't be pushed, meaning that other manifests, "
                 "including attestations won't be preserved.\n'os[/arch[/variant]]': Explicit "
                 "platform (eg. linux/amd64)");
        f.boolean("quiet", 'q', "Suppress verbose output");
    };
    c.run = runPush;
    return c;
}

}  // namespace berth::cli
