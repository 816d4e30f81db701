// Volume routes: thin wrappers over engine.h.
#include <nlohmann/json.hpp>

#include "api/context.h"

namespace berth::api {

using nlohmann::json;

namespace {

Status create(Context& c, Exchange& ex) {
    auto body = TRY(ex.bodyJson(true));
    if (body.is_null()) body = json::object();
    if (!body.is_object()) return invalid("invalid JSON: expected a VolumeCreateOptions object");
    return ex.sendJson(201, TRY(c.engine.volumeCreate(body)));
}

Status list(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(ex, {"dangling", "driver", "label", "name"}));
    return ex.sendJson(200, TRY(c.engine.volumeList(f)));
}

Status inspect(Context& c, Exchange& ex) {
    return ex.sendJson(200, TRY(c.engine.volumeInspect(ex.req().params[0])));
}

Status remove(Context& c, Exchange& ex) {
    TRY(c.engine.volumeRemove(ex.req().params[0], ex.req().qBool("force")));
    return ex.sendNoContent(204);
}

Status prune(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(ex, {"all", "label", "label!"}));
    return ex.sendJson(200, TRY(c.engine.volumePrune(f)));
}

}  // namespace

void addVolumeRoutes(Router& r) {
    r.add("GET", "/volumes", list);
    r.add("POST", "/volumes/create", create);
    r.add("POST", "/volumes/prune", prune);
    r.add("GET", "/volumes/{}", inspect);
    r.add("DELETE", "/volumes/{}", remove);
}

}  // namespace berth::api
