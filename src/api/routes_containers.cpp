// Container lifecycle routes: thin wrappers over engine.h.
#include <nlohmann/json.hpp>

#include "api/context.h"

namespace berth::api {

using nlohmann::json;

namespace {

const std::string& id(const Exchange& ex) {
    return ex.req().params[0];
}

std::optional<int> optInt(const Request& r, const std::string& key) {
    auto v = r.q(key);
    if (v.empty()) return std::nullopt;
    auto n = parseInt(v, key);
    if (!n) return std::nullopt;
    return static_cast<int>(*n);
}

Status create(Context& c, Exchange& ex) {
    auto body = TRY(ex.bodyJson(false));
    if (!body.is_object()) return invalid("invalid JSON: expected a ContainerCreateRequest object");
    if (auto p = ex.req().q("platform"); !p.empty() && p != "linux" && p != "linux/amd64")
        return Error{ENOENT,
                     fmt::format("image with reference {} was found but does not match "
                                 "the specified platform: wanted {}",
                                 body.value("Image", ""), p),
                     true};
    auto r = TRY(c.engine.create(ex.req().q("name"), body));
    return ex.sendJson(201, json{{"Id", r.id}, {"Warnings", r.warnings}});
}

Status list(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(
        ex, {"ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task",
             "label", "name", "network", "publish", "since", "status", "volume"}));
    int limit = static_cast<int>(TRY(queryInt(ex.req(), "limit", -1)));
    auto j = TRY(c.engine.list(ex.req().qBool("all"), limit, ex.req().qBool("size"), f));
    return ex.sendJson(200, j);
}

Status inspect(Context& c, Exchange& ex) {
    return ex.sendJson(200, TRY(c.engine.inspect(id(ex), ex.req().qBool("size"))));
}

Status top(Context& c, Exchange& ex) {
    return ex.sendJson(200, TRY(c.engine.top(id(ex), ex.req().q("ps_args"))));
}

Status changes(Context& c, Exchange& ex) {
    auto j = TRY(c.engine.changes(id(ex)));
    return ex.sendJson(200, j.empty() ? json(nullptr) : j);
}

Status resize(Context& c, Exchange& ex) {
    int h = static_cast<int>(TRY(queryInt(ex.req(), "h", 0)));
    int w = static_cast<int>(TRY(queryInt(ex.req(), "w", 0)));
    TRY(c.engine.resize(id(ex), h, w));
    return ex.sendNoContent(200);
}

Status start(Context& c, Exchange& ex) {
    TRY(c.engine.start(id(ex)));
    return ex.sendNoContent(204);
}

Status stop(Context& c, Exchange& ex) {
    TRY(c.engine.stop(id(ex), optInt(ex.req(), "t"), ex.req().q("signal")));
    return ex.sendNoContent(204);
}

Status restart(Context& c, Exchange& ex) {
    TRY(c.engine.restart(id(ex), optInt(ex.req(), "t"), ex.req().q("signal")));
    return ex.sendNoContent(204);
}

Status kill(Context& c, Exchange& ex) {
    TRY(c.engine.kill(id(ex), ex.req().q("signal")));
    return ex.sendNoContent(204);
}

Status update(Context& c, Exchange& ex) {
    auto body = TRY(ex.bodyJson(false));
    if (!body.is_object()) return invalid("invalid JSON: expected a ContainerUpdateRequest object");
    return ex.sendJson(200, TRY(c.engine.update(id(ex), body)));
}

Status rename(Context& c, Exchange& ex) {
    auto name = ex.req().q("name");
    if (name.empty()) return invalid("Neither old nor new names may be empty");
    TRY(c.engine.rename(id(ex), name));
    return ex.sendNoContent(204);
}

Status pause(Context& c, Exchange& ex) {
    TRY(c.engine.pause(id(ex)));
    return ex.sendNoContent(204);
}

Status unpause(Context& c, Exchange& ex) {
    TRY(c.engine.unpause(id(ex)));
    return ex.sendNoContent(204);
}

Status wait(Context& c, Exchange& ex) {
    auto cond = ex.req().q("condition", "not-running");
    auto wc = engine::WaitCondition::NotRunning;
    if (cond == "not-running")
        wc = engine::WaitCondition::NotRunning;
    else if (cond == "next-exit")
        wc = engine::WaitCondition::NextExit;
    else if (cond == "removed")
        wc = engine::WaitCondition::Removed;
    else
        return invalid("invalid condition: \"{}\"", cond);
    auto full = TRY(c.engine.resolve(id(ex)));
    // Headers at once: `docker run` starts the container only after the wait is registered.
    TRY(ex.beginStream(200, "application/json"));
    auto r = c.engine.wait(full, wc, [&] { return ex.clientGone() || ex.serverStopping(); });
    json j;
    if (!r) {
        j = {{"StatusCode", -1}, {"Error", {{"Message", errorMessage(r.error())}}}};
    } else {
        j = {{"StatusCode", r->statusCode}};
        // A removed container's start error is not repeated (dockerd's does not: `docker run
        // --rm` would print "Error waiting for container" above the start error it reports).
        if (!r->error.empty() && wc != engine::WaitCondition::Removed)
            j["Error"] = {{"Message", r->error}};
    }
    TRY(ex.writeChunk(j.dump() + "\n"));
    return ex.endStream();
}

Status remove(Context& c, Exchange& ex) {
    if (ex.req().qBool("link")) return invalid("legacy links are not supported");
    TRY(c.engine.remove(id(ex), ex.req().qBool("force"), ex.req().qBool("v")));
    return ex.sendNoContent(204);
}

Status prune(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(ex, {"label", "label!", "until"}));
    return ex.sendJson(200, TRY(c.engine.prune(f)));
}

Status commit(Context& c, Exchange& ex) {
    engine::CommitRequest r;
    r.container = ex.req().q("container");
    r.repo = ex.req().q("repo");
    r.tag = ex.req().q("tag");
    r.comment = ex.req().q("comment");
    r.author = ex.req().q("author");
    r.pause = ex.req().qBool("pause", true);
    r.changes = ex.req().qAll("changes");
    auto body = TRY(ex.bodyJson(true));
    if (!body.is_null()) r.configJson = body.dump();
    auto imageId = TRY(c.engine.commit(r));
    return ex.sendJson(201, json{{"Id", imageId}});
}

}  // namespace

void addContainerRoutes(Router& r) {
    r.add("POST", "/containers/create", create);
    r.add("GET", "/containers/json", list);
    r.add("POST", "/containers/prune", prune);
    r.add("GET", "/containers/{}/json", inspect);
    r.add("GET", "/containers/{}/top", top);
    r.add("GET", "/containers/{}/changes", changes);
    r.add("POST", "/containers/{}/resize", resize);
    r.add("POST", "/containers/{}/start", start);
    r.add("POST", "/containers/{}/stop", stop);
    r.add("POST", "/containers/{}/restart", restart);
    r.add("POST", "/containers/{}/kill", kill);
    r.add("POST", "/containers/{}/update", update);
    r.add("POST", "/containers/{}/rename", rename);
    r.add("POST", "/containers/{}/pause", pause);
    r.add("POST", "/containers/{}/unpause", unpause);
    r.add("POST", "/containers/{}/wait", wait);
    r.add("DELETE", "/containers/{}", remove);
    r.add("POST", "/commit", commit);
}

}  // namespace berth::api
