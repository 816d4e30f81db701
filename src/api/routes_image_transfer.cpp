// Image transfer routes: pull and import (/images/create), push, save (get), load.
#include <nlohmann/json.hpp>

#include "api/context.h"
#include "api/serve.h"
#include "api/stream_out.h"
#include "image/reference.h"
#include "image/service.h"

namespace berth::api {

using nlohmann::json;

Status LazyStream::finish(const Status& result) {
    std::lock_guard lk(mu_);
    if (!result) {
        if (!ex_.responseStarted()) return result;  // the router sends the HTTP error
        (void)writeStreamError(ex_, result.error());
        return ex_.endStream();
    }
    if (!ex_.responseStarted()) TRY(ex_.beginStream(200, ct_));
    return ex_.endStream();
}

namespace {

std::string familiarOf(const std::string& ref) {
    auto r = image::Reference::parse(ref);
    return r ? r->familiar() : ref;
}

std::optional<std::string> authHeader(const Exchange& ex) {
    auto h = ex.req().header("x-registry-auth");
    if (h.empty()) return std::nullopt;
    return h;
}

image::archive::ReadFn bodyReader(Exchange& ex) {
    return [&ex](void* buf, size_t n) { return ex.readBody(buf, n); };
}

Status importImage(Context& c, Exchange& ex) {
    auto src = ex.req().q("fromSrc");
    if (src != "-")
        return invalid("importing from a URL ({}) is not supported: send the tarball as the body",
                       src);
    auto repo = ex.req().q("repo"), t = ex.req().q("tag");
    std::string ref = repo;
    if (!repo.empty() && !t.empty()) ref += ":" + t;
    if (!ref.empty() && !image::Reference::parse(ref))
        return invalid("invalid reference format: {}", ref);
    LazyStream out(ex, "application/json");
    auto reader = bodyReader(ex);
    auto im = c.images.importRootfs(reader, ref, ex.req().qAll("changes"), ex.req().q("message"));
    if (!im) return out.finish(std::move(im).error());
    TRY(out.write(json{{"status", im->id.str()}}.dump() + "\n"));
    publishEvent(c, "image", "import", im->id.str(),
                 {{"name", ref.empty() ? im->id.str() : familiarOf(ref)}});
    return out.finish({});
}

Status create(Context& c, Exchange& ex) {
    auto from = ex.req().q("fromImage");
    if (from.empty()) {
        if (ex.req().has("fromSrc")) return importImage(c, ex);
        return invalid("fromImage or fromSrc is required");
    }
    auto t = ex.req().q("tag");
    std::string ref = from;
    if (!t.empty()) ref += (t.starts_with("sha256:") ? "@" : ":") + t;
    if (!image::Reference::parse(ref)) return invalid("invalid reference format: {}", ref);
    image::PullOptions o;
    o.authHeader = authHeader(ex);
    if (auto p = ex.req().q("platform"); !p.empty()) {
        auto slash = p.find('/');
        o.os = p.substr(0, slash);
        if (slash != std::string::npos) {
            auto rest = p.substr(slash + 1);
            o.arch = rest.substr(0, rest.find('/'));
        }
    }
    LazyStream out(ex, "application/json");
    auto prog = image::makeJsonProgress([&out](std::string_view s) { return out.write(s); });
    auto im = c.images.pull(ref, *prog, o);
    if (!im) return out.finish(std::move(im).error());
    publishEvent(c, "image", "pull", familiarOf(ref), {{"name", familiarOf(ref)}});
    return out.finish({});
}

Status push(Context& c, Exchange& ex) {
    auto name = ex.req().params[0], t = ex.req().q("tag");
    std::string ref = t.empty() ? name : name + ":" + t;
    image::PushOptions o;
    o.authHeader = authHeader(ex);
    TRY(c.images.get(ref));  // a missing image is a 404 before the stream starts
    LazyStream out(ex, "application/json");
    auto prog = image::makeJsonProgress([&out](std::string_view s) { return out.write(s); });
    auto st = c.images.push(ref, *prog, o);
    if (st) publishEvent(c, "image", "push", familiarOf(ref), {{"name", familiarOf(ref)}});
    return out.finish(st);
}

Status saveNames(Context& c, Exchange& ex, const std::vector<std::string>& names) {
    if (names.empty()) return invalid("no image names given");
    for (auto& n : names) TRY(c.images.get(n));
    LazyStream out(ex, "application/x-tar");
    auto st = c.images.save(names, [&out](const void* d, size_t n) {
        return out.write(std::string_view(static_cast<const char*>(d), n));
    });
    if (st)
        for (auto& n : names) {
            auto im = c.images.get(n);
            publishEvent(c, "image", "save", im ? im->id.str() : n, {{"name", n}});
        }
    if (!st && ex.responseStarted()) return ex.endStream();  // a tar cannot carry an error
    return out.finish(st);
}

Status saveMany(Context& c, Exchange& ex) {
    return saveNames(c, ex, ex.req().qAll("names"));
}
Status saveOne(Context& c, Exchange& ex) {
    return saveNames(c, ex, {ex.req().params[0]});
}

Status load(Context& c, Exchange& ex) {
    bool quiet = ex.req().qBool("quiet");
    LazyStream out(ex, "application/json");
    auto jp = image::makeJsonProgress([&out](std::string_view s) { return out.write(s); });
    image::NullProgress np;
    image::Progress& p = quiet ? static_cast<image::Progress&>(np) : *jp;
    auto reader = bodyReader(ex);
    auto lines = c.images.load(reader, p);
    if (!lines) return out.finish(std::move(lines).error());
    for (auto& l : *lines) {
        TRY(out.write(json{{"stream", l + "\n"}}.dump() + "\n"));
        std::string name;
        if (l.starts_with("Loaded image: "))
            name = l.substr(14);
        else if (l.starts_with("Loaded image ID: "))
            name = l.substr(17);
        if (name.empty()) continue;
        auto im = c.images.get(name);
        publishEvent(c, "image", "load", im ? im->id.str() : name, {{"name", name}});
    }
    return out.finish({});
}

}  // namespace

void addImageTransferRoutes(Router& r) {
    r.add("POST", "/images/create", create);
    r.add("GET", "/images/get", saveMany);
    r.add("POST", "/images/load", load);
    r.add("POST", "/images/{*}/push", push);
    r.add("GET", "/images/{*}/get", saveOne);
}

}  // namespace berth::api
