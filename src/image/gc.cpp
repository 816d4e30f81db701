// Removing images and freeing what nothing references any more.
//
// rmi frees exactly the blobs and layers of the removed image that no other image uses. A full
// sweep (gc, prune) also removes unreferenced blobs and layers it finds, except very recent
// ones: another process sharing the root may be between writing a blob and recording the
// image that holds it (files first, then the record), so those get a grace period.
#include <sys/stat.h>
#include <time.h>

#include <algorithm>

#include "common/sys.h"
#include "image/service.h"
#include "image/service_meta.h"

namespace berth::image {

namespace {

constexpr time_t kGraceSeconds = 120;

bool recent(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) return false;
    return time(nullptr) - st.st_mtime < kGraceSeconds;
}

// Blobs and layers referenced by the images in `m`.
void references(const MetaData& m, const ContentStore& cs, std::set<Digest>& blobs,
                std::set<Digest>& layers) {
    for (auto& [id, r] : m.images) {
        for (auto& b : r.blobs) blobs.insert(b);
        auto d = Digest::parse(id);
        if (!d) continue;
        auto cfg = cs.readVerified(*d);
        if (!cfg) continue;
        auto c = parseImageConfig(*cfg);
        if (c)
            for (auto& l : c->diffIds) layers.insert(l);
    }
}

}  // namespace

Result<int64_t> Service::freeUnreferenced(const std::set<Digest>& blobs,
                                          const std::set<Digest>& layerIds,
                                          std::vector<RemovedItem>* removed) {
    auto md = TRY(meta_->store.read());
    std::set<Digest> keepBlobs, keepLayers;
    references(md, *content_, keepBlobs, keepLayers);
    int64_t freed = 0;
    for (auto& l : layerIds) {
        if (keepLayers.count(l) || !layers_->has(l)) continue;
        auto info = layers_->info(l);
        TRY(layers_->remove(l));
        if (info) freed += info->size;
        if (removed) removed->push_back({"", l.str()});
    }
    for (auto& b : blobs) {
        if (keepBlobs.count(b)) continue;
        TRY(content_->remove(b));
    }
    return freed;
}

Result<std::vector<RemovedItem>> Service::remove(const std::string& nameOrId, bool force,
                                                 bool noPrune, bool untagOnly) {
    std::lock_guard l(mu_);
    auto id = TRY(resolve(nameOrId));
    auto ref = Reference::parse(nameOrId);
    bool byName = ref && !looksLikeId(nameOrId) && nameOrId.rfind("sha256:", 0) != 0;
    if (ref && looksLikeId(nameOrId)) {
        // "abc123" could be both: it is a name when such a tag exists.
        auto md = TRY(meta_->store.read());
        byName = md.tags.count(ref->str()) > 0;
    }
    std::vector<RemovedItem> out;
    std::optional<Image> deleted;
    TRY(meta_->store.update([&](MetaData& m) -> Status {
        out.clear();
        deleted.reset();
        auto it = m.images.find(id.str());
        if (it == m.images.end()) return makeError(ENOENT, "No such image: {}", nameOrId);
        std::vector<std::string> tags;
        for (auto& [n, i] : m.tags)
            if (i == id.str()) tags.push_back(n);
        auto& rec = it->second;
        if (byName) {
            if (!ref->digest.empty()) {
                auto want = ref->name() + "@" + ref->digest;
                std::erase(rec.repoDigests, want);
                out.push_back({Reference::parse(want, false)->familiar(), ""});
            } else {
                m.tags.erase(ref->str());
                out.push_back({ref->familiar(), ""});
                // Repo digests of that repository go with its last tag (as docker).
                bool repoLeft = std::any_of(m.tags.begin(), m.tags.end(), [&](auto& t) {
                    return t.second == id.str() &&
                           t.first.substr(0, t.first.rfind(':')) == ref->name();
                });
                if (!repoLeft) {
                    std::vector<std::string> keep;
                    for (auto& rd : rec.repoDigests) {
                        if (rd.substr(0, rd.find('@')) == ref->name())
                            out.push_back({Reference::parse(rd, false)->familiar(), ""});
                        else
                            keep.push_back(rd);
                    }
                    rec.repoDigests = keep;
                }
            }
            bool stillNamed = std::any_of(m.tags.begin(), m.tags.end(),
                                          [&](auto& t) { return t.second == id.str(); });
            if (stillNamed || !rec.repoDigests.empty() || untagOnly) return {};
        } else {
            std::set<std::string> repos;
            for (auto& t : tags) repos.insert(t.substr(0, t.rfind(':')));
            if (repos.size() > 1 && !force)
                return makeError(EBUSY,
                                 "conflict: unable to delete {} (must be forced) - image is "
                                 "referenced in multiple repositories",
                                 id.shortHex());
            for (auto& t : tags) {
                m.tags.erase(t);
                out.push_back({familiarTag(t), ""});
            }
            for (auto& rd : rec.repoDigests)
                out.push_back({Reference::parse(rd, false)->familiar(), ""});
            if (untagOnly) {
                rec.repoDigests.clear();
                return {};
            }
        }
        for (auto& [oid, orec] : m.images)
            if (orec.parent == id.str()) {
                if (byName) return {};  // untagged only; the child keeps its parent
                return makeError(EBUSY,
                                 "conflict: unable to delete {} (cannot be forced) - image has "
                                 "dependent child images",
                                 id.shortHex());
            }
        deleted = Image{};
        deleted->id = id;
        deleted->manifestDigest = rec.manifest;
        m.images.erase(it);  // `rec` dangles from here on
        out.push_back({"", id.str()});
        return {};
    }));
    if (deleted && !noPrune) {
        std::set<Digest> blobs{id, deleted->manifestDigest};
        std::set<Digest> layerIds;
        auto man = content_->readVerified(deleted->manifestDigest);
        if (man) {
            auto m = parseManifest(*man);
            if (m)
                for (auto& l : m->layers) blobs.insert(l.digest);
        }
        auto cfg = content_->readVerified(id);
        if (cfg) {
            auto c = parseImageConfig(*cfg);
            if (c) layerIds.insert(c->diffIds.begin(), c->diffIds.end());
        }
        TRY(freeUnreferenced(blobs, layerIds, &out));
    }
    return out;
}

Result<int64_t> Service::gc(const std::set<Digest>& keepLayers) {
    auto md = TRY(meta_->store.read());
    std::set<Digest> blobs, layerRefs;
    references(md, *content_, blobs, layerRefs);
    int64_t freed = 0;
    for (auto& b : TRY(content_->list())) {
        if (blobs.count(b) || recent(content_->blobPath(b))) continue;
        freed += content_->size(b).valueOr(0);
        TRY(content_->remove(b));
    }
    for (auto& l : TRY(layers_->list())) {
        if (layerRefs.count(l.diffId) || keepLayers.count(l.diffId)) continue;
        if (recent(l.path + "/..")) continue;
        TRY(layers_->remove(l.diffId));
        freed += l.size;
    }
    freed += TRY(content_->cleanIngests());
    return freed;
}

Result<PruneReport> Service::prune(bool danglingOnly, const std::set<std::string>& inUse,
                                   const std::map<std::string, std::string>& labelFilters) {
    PruneReport rep;
    // Children first: repeat while a pass removes something (a parent frees up after its child).
    for (bool progress = true; progress;) {
        progress = false;
        for (auto& img : list()) {
            if (inUse.count(img.id.str())) continue;
            if (danglingOnly && !img.repoTags.empty()) continue;
            bool labelsMatch = std::all_of(labelFilters.begin(), labelFilters.end(), [&](auto& f) {
                auto it = img.config.config.labels.find(f.first);
                return it != img.config.config.labels.end() &&
                       (f.second.empty() || it->second == f.second);
            });
            if (!labelsMatch) continue;
            auto r = remove(img.id.str(), true);
            if (!r) continue;  // e.g. has children still: the next pass may take it
            progress = true;
            rep.spaceReclaimed += img.size;
            for (auto& x : *r) rep.removed.push_back(x);
        }
    }
    auto freed = gc();
    if (freed) rep.spaceReclaimed += *freed;
    return rep;
}

Result<DiskUsage> Service::diskUsage() const {
    DiskUsage du;
    std::map<Digest, int> uses;
    auto imgs = list();
    for (auto& img : imgs)
        for (auto& d : std::set<Digest>(img.config.diffIds.begin(), img.config.diffIds.end()))
            uses[d]++;
    for (auto& l : TRY(layers_->list())) du.layersSize += l.size;
    for (auto& img : imgs) {
        DiskUsage::Entry e{img};
        for (auto& d : std::set<Digest>(img.config.diffIds.begin(), img.config.diffIds.end())) {
            auto li = layers_->info(d);
            if (!li) continue;
            (uses[d] > 1 ? e.sharedSize : e.uniqueSize) += li->size;
        }
        du.images.push_back(std::move(e));
    }
    return du;
}

}  // namespace berth::image
