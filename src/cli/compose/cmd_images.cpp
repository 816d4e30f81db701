// compose build, pull, push.
#include "cli/compose/images.h"
#include "cli/compose/verbs.h"
#include "cli/verbs/image_progress.h"
#include "cli/verbs/image_ref.h"
#include "cli/verbs/util.h"
#include "compose/convert.h"

namespace berth::cli::compose {

namespace {

// The services named (all when none), in name order.
Result<std::vector<std::string>> pick(const model::Project& p,
                                      const std::vector<std::string>& names) {
    std::vector<std::string> out;
    if (names.empty()) {
        for (auto& [k, v] : p.model["services"].items()) out.push_back(k);
        return out;
    }
    for (auto& n : names) {
        if (!p.model["services"].contains(n)) return invalid("no such service: {}", n);
        out.push_back(n);
    }
    return out;
}

Result<int> runBuild(Ctx& ctx, const Flags& f) {
    auto p = TRY(loadProject(ctx, {.services = f.args()}));
    BuildOptions o;
    o.noCache = f.b("no-cache");
    o.pull = f.b("pull");
    o.quiet = f.b("quiet");
    o.args = f.l("build-arg");
    for (auto& svc : TRY(pick(p, f.args()))) {
        if (!p.model["services"][svc].contains("build")) continue;
        TRY(buildService(ctx, p, svc, o));
    }
    return 0;
}

Result<int> runPull(Ctx& ctx, const Flags& f) {
    auto p = TRY(loadProject(ctx, {.services = f.args()}));
    bool failed = false;
    for (auto& svc : TRY(pick(p, f.args()))) {
        const json& s = p.model["services"][svc];
        if (!s.contains("image")) {
            event(ctx, "Service", svc, "Skipped - No image to be pulled");
            continue;
        }
        std::string ref = s["image"].get<std::string>();
        if (s.contains("build") && f.b("ignore-buildable")) {
            event(ctx, "Service", svc, "Skipped - Image can be built");
            continue;
        }
        event(ctx, "Service", svc, "Pulling");
        auto st = pullImage(ctx, ref, f.b("quiet"));
        if (!st) {
            if (s.contains("build") || f.b("ignore-pull-failures")) {
                ctx.err(fmt::format("WARN[0000] {}: {}\n", svc, st.error().msg));
                failed = !s.contains("build") && !f.b("ignore-pull-failures");
                continue;
            }
            return std::move(st).error();
        }
        event(ctx, "Service", svc, "Pulled");
    }
    return failed ? 1 : 0;
}

Result<int> runPush(Ctx& ctx, const Flags& f) {
    auto p = TRY(loadProject(ctx, {.services = f.args()}));
    for (auto& svc : TRY(pick(p, f.args()))) {
        const json& s = p.model["services"][svc];
        if (!s.contains("build") || !s.contains("image")) continue;
        std::string ref = s["image"].get<std::string>();
        ImageRef r = parseImageRef(ref);
        Request req;
        req.method = "POST";
        req.path = "/images/" + urlEncode(fullName(ref)) + "/push" +
                   query({{"tag", r.tag.empty() ? "latest" : r.tag}});
        req.headers.push_back({"X-Registry-Auth", imageAuthHeader(ctx, ref)});
        ProgressOptions po;
        po.terminal = ctx.outIsTerminal();
        po.display = !f.b("quiet");
        event(ctx, "Service", svc, "Pushing");
        auto st = streamProgress(ctx, req, po);
        if (!st && !f.b("ignore-push-failures")) return std::move(st).error();
        event(ctx, "Service", svc, st ? "Pushed" : "Failed");
    }
    return 0;
}

}  // namespace

Command cmdBuild() {
    Command c;
    c.name = "build";
    c.use = "[OPTIONS] [SERVICE...]";
    c.shortHelp = "Build or rebuild services";
    c.flags = [](Flags& f) {
        f.list("build-arg", 0, "Set build-time variables for services", "stringArray");
        f.boolean("no-cache", 0, "Do not use cache when building the image");
        f.boolean("pull", 0, "Always attempt to pull a newer version of the image");
        f.boolean("quiet", 'q', "Don't print anything to STDOUT");
    };
    c.run = runBuild;
    return c;
}

Command cmdPull() {
    Command c;
    c.name = "pull";
    c.use = "[OPTIONS] [SERVICE...]";
    c.shortHelp = "Pull service images";
    c.flags = [](Flags& f) {
        f.boolean("ignore-buildable", 0, "Ignore images that can be built");
        f.boolean("ignore-pull-failures", 0,
                  "Pull what it can and ignores images with pull failures");
        f.boolean("include-deps", 0, "Also pull services declared as dependencies");
        f.boolean("quiet", 'q', "Pull without printing progress information");
    };
    c.run = runPull;
    return c;
}

Command cmdPush() {
    Command c;
    c.name = "push";
    c.use = "[OPTIONS] [SERVICE...]";
    c.shortHelp = "Push service images";
    c.flags = [](Flags& f) {
        f.boolean("ignore-push-failures", 0,
                  "Push what it can and ignores images with push failures");
        f.boolean("include-deps", 0, "Also push images of services declared as dependencies");
        f.boolean("quiet", 'q', "Push without printing progress information");
    };
    c.run = runPush;
    return c;
}

}  // namespace berth::cli::compose
