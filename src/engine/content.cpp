// What a container holds: commit, prune, its size (inspect/ps --size, system df's container
// part). (stats, top, diff, export and docker cp live in ops.cpp on top of
// stats.h/top.h/fs_ops.h.)
#include "common/scope_guard.h"
#include "engine/fs_ops.h"
#include "engine/internal.h"
#include "image/service.h"
#include "image/transfer/changes.h"
#include "runtime/container.h"

namespace berth::engine {

Engine::LayerSizes Engine::layerSizes(const std::string& id, const std::string& imageId) const {
    LayerSizes s;
    s.rw = layerSize(impl_->containerDir(id) + "/upper");
    s.rootFs = s.rw;
    // An image removed under a container (rmi -f) leaves only the writable layer to count.
    if (auto img = impl_->images->get(imageId)) s.rootFs += img->size;
    return s;
}

Result<std::string> Engine::commit(const CommitRequest& r) {
    auto e = TRY(impl_->find(r.container));
    std::unique_lock lk(e->mu);
    const Container& c = e->c;
    bool paused = false;
    runtime::Globals g = impl_->runtimeGlobals();
    if (r.pause && c.state.status == "running") paused = runtime::pause(g, c.id).ok();
    // Resumed however the commit ends (a bad config or change fails after the pause).
    ScopeGuard resume([&] {
        if (paused) (void)runtime::resume(g, c.id);
    });
    // The new image's config: the container's, then the request's, then the changes.
    Json cfg = c.config;
    if (!r.configJson.empty()) {
        Json req = Json::parse(r.configJson, nullptr, false);
        if (req.is_discarded() || !req.is_object()) return invalid("invalid config JSON");
        for (auto& [k, v] : req.items())
            if (!v.is_null()) cfg[k] = v;
    }
    cfg.erase("Image");
    auto cc = TRY(image::parseContainerConfig(cfg.dump()));
    TRY(image::transfer::applyChanges(cc, r.changes));
    image::Service::CommitOptions o;
    o.parent = TRY(image::Digest::parse(c.imageId));
    o.config = cc;
    o.author = r.author;
    o.comment = r.comment;
    // As moby: the history entry's CreatedBy is the container's Cmd.
    for (const auto& a : stringList(c.config.value("Cmd", Json())))
        o.createdBy += (o.createdBy.empty() ? "" : " ") + a;
    if (!r.repo.empty()) o.ref = r.repo + (r.tag.empty() ? "" : ":" + r.tag);
    auto img = impl_->images->commit(impl_->containerDir(c.id) + "/upper", o);
    resume.cancel();
    if (paused) (void)runtime::resume(g, c.id);
    if (!img) return std::move(img).error().wrap("commit " + c.id);
    impl_->publish(c, "commit", {{"comment", r.comment}});
    return img->id.str();
}

Result<nlohmann::json> Engine::prune(const Filters& f) {
    int64_t untilNs = 0;
    std::vector<std::string> labels, notLabels;
    for (const auto& [k, v] : f) {
        if (k == "until") {
            if (!v.empty()) untilNs = TRY(parseTimeNs(v[0]));
        } else if (k == "label") {
            labels = v;
        } else if (k == "label!") {
            notLabels = v;
        } else {
            return invalid("invalid filter '{}'", k);
        }
    }
    std::vector<std::shared_ptr<Entry>> entries;
    {
        std::lock_guard lk(impl_->mu);
        for (auto& [id, e] : impl_->byId) entries.push_back(e);
    }
    Json deleted = Json::array();
    int64_t reclaimed = 0;
    for (auto& e : entries) {
        std::unique_lock lk(e->mu);
        const Container& c = e->c;
        if (c.running() || c.state.status == "restarting" || e->removed) continue;
        if (untilNs && parseTimeNs(c.created).valueOr(0) >= untilNs) continue;
        const Json l = c.config.value("Labels", Json::object());
        auto has = [&](const std::string& s) {
            auto eq = s.find('=');
            std::string k = s.substr(0, eq);
            return l.contains(k) && (eq == std::string::npos || l[k] == s.substr(eq + 1));
        };
        bool ok = true;
        for (const auto& s : labels) ok &= has(s);
        for (const auto& s : notLabels) ok &= !has(s);
        if (!ok) continue;
        int64_t sz = layerSize(impl_->containerDir(c.id) + "/upper");
        std::string id = c.id;
        if (impl_->removeLocked(e, lk, false, false)) {
            deleted.push_back(id);
            reclaimed += sz;
        }
    }
    return Json{{"ContainersDeleted", deleted}, {"SpaceReclaimed", reclaimed}};
}

Result<nlohmann::json> Engine::diskUsageContainers() const {
    auto list = TRY(this->list(true, 0, false, {}));
    for (auto& s : list) {
        auto sz = layerSizes(s.value("Id", ""), s.value("ImageID", ""));
        s["SizeRw"] = sz.rw;
        s["SizeRootFs"] = sz.rootFs;
    }
    return list;
}

}  // namespace berth::engine
