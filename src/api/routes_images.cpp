// Local image routes: list, inspect, history, tag, delete, prune, search.
#include <nlohmann/json.hpp>

#include "api/image_json.h"
#include "image/reference.h"

namespace berth::api {

using nlohmann::json;

namespace {

Status list(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(ex, {"before", "dangling", "label", "reference", "since", "until"}));
    auto imgs = TRY(filterImages(c, c.images.list(), f, ex.req().qBool("all")));
    std::sort(imgs.begin(), imgs.end(), [](const image::Image& a, const image::Image& b) {
        return createdUnix(a.created()) > createdUnix(b.created());
    });
    json out = json::array();
    for (auto& im : imgs) {
        auto j = imageSummaryJson(im, ex.req());
        if (!ex.req().qBool("digests") && ex.req().versionCmp("1.42") < 0) j.erase("RepoDigests");
        out.push_back(std::move(j));
    }
    return ex.sendJson(200, out);
}

Status inspect(Context& c, Exchange& ex) {
    auto im = TRY(c.images.get(ex.req().params[0]));
    std::vector<std::string> lower;
    if (auto l = c.images.rootfsLayers(im.id)) lower = l->lowerDirs;
    return ex.sendJson(200, imageInspectJson(im, ex.req(), lower));
}

Status history(Context& c, Exchange& ex) {
    auto im = TRY(c.images.get(ex.req().params[0]));
    auto hist = TRY(c.images.history(ex.req().params[0]));
    json out = json::array();
    bool first = true;
    for (auto& h : hist) {
        json e{{"Id", first ? im.id.str() : "<missing>"},
               {"Created", createdUnix(h.created)},
               {"CreatedBy", h.createdBy},
               {"Tags", first ? json(im.repoTags) : json(nullptr)},
               {"Size", 0},
               {"Comment", h.comment}};
        out.push_back(std::move(e));
        first = false;
    }
    return ex.sendJson(200, out);
}

Status tag(Context& c, Exchange& ex) {
    auto src = ex.req().params[0];
    auto repo = ex.req().q("repo"), t = ex.req().q("tag");
    if (repo.empty()) return invalid("repository name must have at least one component");
    auto target = t.empty() ? repo : repo + ":" + t;
    auto ref = image::Reference::parse(target);
    if (!ref) return invalid("invalid reference format: {}", target);
    auto im = TRY(c.images.get(src));
    TRY(c.images.tag(src, target));
    publishEvent(c, "image", "tag", im.id.str(), {{"name", ref->familiar()}});
    return ex.sendNoContent(201);
}

bool isIdLike(const std::string& s, const image::Image& im) {
    auto h = s.starts_with("sha256:") ? s.substr(7) : s;
    return h.size() >= 4 && im.id.hex.starts_with(h);
}

Status remove(Context& c, Exchange& ex) {
    auto name = ex.req().params[0];
    bool force = ex.req().qBool("force"), noPrune = ex.req().qBool("noprune");
    auto im = TRY(c.images.get(name));
    bool lastRef = isIdLike(name, im) || im.repoTags.size() <= 1;
    bool inUse = c.engine.imagesInUse().count(im.id.str()) > 0;
    if (lastRef && inUse && !force) {
        return ex.sendError(
            409, fmt::format("conflict: unable to delete {} (must be forced) - image is being "
                             "used by a container",
                             im.id.shortHex()));
    }
    // Forced, an image a container uses loses its names but stays (as moby: the container
    // must still be able to start).
    auto removed = TRY(c.images.remove(name, force, noPrune, inUse));
    json out = json::array();
    for (auto& r : removed) {
        if (!r.untagged.empty()) {
            out.push_back({{"Untagged", r.untagged}});
            // moby names the image ID here, not the reference that went.
            publishEvent(c, "image", "untag", im.id.str(), {{"name", im.id.str()}});
        }
        if (!r.deleted.empty()) {
            out.push_back({{"Deleted", r.deleted}});
            if (r.deleted == im.id.str())
                publishEvent(c, "image", "delete", im.id.str(), {{"name", im.id.str()}});
        }
    }
    return ex.sendJson(200, out);
}

Status prune(Context& c, Exchange& ex) {
    auto f = TRY(parseFilters(ex, {"dangling", "label", "label!", "until"}));
    bool danglingOnly = true;
    if (auto it = f.find("dangling"); it != f.end())
        for (auto& v : it->second)
            if (v == "false" || v == "0") danglingOnly = false;
    std::map<std::string, std::string> labels;
    if (auto it = f.find("label"); it != f.end())
        for (auto& l : it->second) {
            auto eq = l.find('=');
            labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
        }
    auto rep = TRY(c.images.prune(danglingOnly, c.engine.imagesInUse(), labels));
    json del = json::array();
    for (auto& r : rep.removed) {
        if (!r.untagged.empty()) del.push_back({{"Untagged", r.untagged}});
        if (!r.deleted.empty()) {
            del.push_back({{"Deleted", r.deleted}});
            if (r.deleted.starts_with("sha256:"))
                publishEvent(c, "image", "delete", r.deleted, {{"name", r.deleted}});
        }
    }
    publishEvent(c, "image", "prune", "", {{"reclaimed", std::to_string(rep.spaceReclaimed)}});
    return ex.sendJson(200, json{{"ImagesDeleted", del.empty() ? json(nullptr) : del},
                                 {"SpaceReclaimed", rep.spaceReclaimed}});
}

Status search(Context&, Exchange& ex) {
    auto term = ex.req().q("term");
    if (term.empty()) return invalid("term is required");
    auto slash = term.find('/');
    std::string registry = "https://index.docker.io/v1/";
    if (slash != std::string::npos &&
        term.substr(0, slash).find_first_of(".:") != std::string::npos)
        registry = "https://" + term.substr(0, slash) + "/v1/";
    return ex.sendError(500, fmt::format("Get \"{}search?q={}&n=25\": search is not available: "
                                         "Berth does not query registry {} (offline)",
                                         registry, term, registry));
}

}  // namespace

void addImageRoutes(Router& r) {
    r.add("GET", "/images/json", list);
    r.add("POST", "/images/prune", prune);
    r.add("GET", "/images/search", search);
    r.add("GET", "/images/{*}/json", inspect);
    r.add("GET", "/images/{*}/history", history);
    r.add("POST", "/images/{*}/tag", tag);
    r.add("DELETE", "/images/{*}", remove);
}

}  // namespace berth::api
