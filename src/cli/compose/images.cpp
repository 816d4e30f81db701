// Building and pulling a compose project's images.
#include "cli/compose/images.h"

#include "cli/client.h"
#include "cli/verbs/image_context.h"
#include "cli/verbs/image_progress.h"
#include "cli/verbs/image_ref.h"
#include "cli/verbs/util.h"
#include "compose/convert.h"

namespace berth::cli::compose {

namespace {

// Runs fn with the context's stdout pointed at stderr: progress is not the verb's output.
template <typename F>
auto toStderr(Ctx& ctx, F&& fn) {
    int saved = ctx.outFd;
    ctx.outFd = ctx.errFd;
    auto r = fn();
    ctx.outFd = saved;
    return r;
}

}  // namespace

Result<std::string> imageId(Ctx& ctx, const std::string& ref) {
    json img = TRY(inspectOrNull(ctx, "/images/" + urlEncode(ref) + "/json"));
    if (img.is_null()) return std::string();
    return img.value("Id", "");
}

Result<std::string> buildService(Ctx& ctx, const model::Project& p, const std::string& svc,
                                 const BuildOptions& o) {
    const json& s = p.model["services"][svc];
    if (!s.contains("build")) return invalid("service \"{}\" has no build section", svc);
    const json& b = s["build"];
    std::string tag = model::serviceImage(p, svc);
    std::string dir = b.value("context", p.workingDir);
    // The service's dockerfile is relative to its context (makeBuildContext, like `build -f`,
    // takes a relative one from the working directory).
    std::string dockerfile = b.value("dockerfile", "Dockerfile");
    if (!dockerfile.empty() && dockerfile[0] != '/') dockerfile = dir + "/" + dockerfile;
    auto bc = TRY_CTX(makeBuildContext(dir, dockerfile), "build service {}", svc);
    json args = b.contains("args") && b["args"].is_object() ? b["args"] : json::object();
    for (auto& kv : o.args) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) {
            auto it = p.env.find(kv);
            args[kv] = it == p.env.end() ? json(nullptr) : json(it->second);
        } else {
            args[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
    }
    json labels = b.contains("labels") && b["labels"].is_object() ? b["labels"] : json::object();
    Request req;
    req.method = "POST";
    req.contentType = "application/x-tar";
    req.path = "/build" + query({{"t", tag},
                                 {"dockerfile", bc.dockerfile},
                                 {"buildargs", args.empty() ? "" : args.dump()},
                                 {"labels", labels.empty() ? "" : labels.dump()},
                                 {"target", b.value("target", "")},
                                 {"nocache", o.noCache ? "1" : ""},
                                 {"pull", o.pull ? "1" : ""},
                                 {"rm", "1"},
                                 {"q", o.quiet ? "1" : ""}});
    req.body = std::move(bc.tar);
    std::string id;
    ProgressOptions po;
    po.terminal = ::isatty(ctx.errFd) != 0;
    po.display = !o.quiet;
    po.onAux = [&](const json& aux) {
        if (aux.is_object() && aux.contains("ID") && aux["ID"].is_string())
            id = aux["ID"].get<std::string>();
    };
    event(ctx, "Service", svc, "Building");
    TRY_CTX(toStderr(ctx, [&] { return streamProgress(ctx, req, po); }),
            "failed to build service \"{}\"", svc);
    if (id.empty()) id = TRY(imageId(ctx, tag));
    event(ctx, "Service", svc, "Built");
    return id;
}

Status pullImage(Ctx& ctx, const std::string& ref, bool quiet) {
    ImageRef r = parseImageRef(ref);
    std::string tag = r.digest.empty() ? (r.tag.empty() ? "latest" : r.tag) : r.digest;
    Request req;
    req.method = "POST";
    req.path = "/images/create" + query({{"fromImage", fullName(ref)}, {"tag", tag}});
    req.headers.push_back({"X-Registry-Auth", imageAuthHeader(ctx, ref)});
    ProgressOptions po;
    po.terminal = ::isatty(ctx.errFd) != 0;
    po.display = !quiet;
    return toStderr(ctx, [&] { return streamProgress(ctx, req, po); });
}

Result<std::string> ensureImage(Ctx& ctx, const model::Project& p, const std::string& svc,
                                const EnsureOptions& o) {
    const json& s = p.model["services"][svc];
    std::string ref = model::serviceImage(p, svc);
    std::string policy = o.pull.empty() ? s.value("pull_policy", "missing") : o.pull;
    bool canBuild = s.contains("build") && !o.noBuild;
    if (canBuild && (o.build || policy == "build")) return buildService(ctx, p, svc, {});
    std::string id = TRY(imageId(ctx, ref));
    if (!id.empty() && policy != "always") return id;
    if (canBuild && id.empty()) return buildService(ctx, p, svc, {});
    if (policy == "never" && id.empty())
        return invalid("service \"{}\": image {} not found and pull_policy is never", svc, ref);
    event(ctx, "Image", ref, "Pulling");
    auto st = pullImage(ctx, ref, o.quietPull);
    if (!st) {
        // pull_policy always and the pull failed: a service that can be built is built.
        if (canBuild) return buildService(ctx, p, svc, {});
        return std::move(st).error().wrap(fmt::format("pull image for service \"{}\"", svc));
    }
    event(ctx, "Image", ref, "Pulled");
    return imageId(ctx, ref);
}

}  // namespace berth::cli::compose
