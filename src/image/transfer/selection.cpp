// Selecting images for save (see selection.h).
#include "image/transfer/selection.h"

#include <map>

namespace berth::image::transfer {

Result<std::vector<SaveItem>> selectImages(Service& svc, const std::vector<std::string>& names) {
    std::vector<SaveItem> items;
    std::map<Digest, size_t> byId;
    auto add = [&](const Image& img, const Reference* tag) {
        auto [it, fresh] = byId.emplace(img.id, items.size());
        if (fresh) items.push_back(SaveItem{img, {}});
        if (!tag) return;
        auto& tags = items[it->second].tags;
        for (const auto& t : tags)
            if (t.str() == tag->str()) return;
        tags.push_back(*tag);
    };
    if (names.empty()) return invalid("save: no image named");
    for (const auto& name : names) {
        // "sha256:<hex>" is an ID, not the repository "sha256" with a tag.
        auto ref = name.starts_with("sha256:") ? Result<Reference>(invalid("id"))
                                               : Reference::parse(name, false);
        if (ref && ref->tag.empty() && ref->digest.empty()) {
            // A bare name: every tag of that repository (else maybe a short ID).
            bool any = false;
            for (const auto& img : svc.list()) {
                for (const auto& t : img.repoTags) {
                    auto r = Reference::parse(t);
                    if (r && r->name() == ref->name() && !r->tag.empty()) {
                        add(img, &*r);
                        any = true;
                    }
                }
            }
            if (!any) add(TRY(svc.get(name)), nullptr);
            continue;
        }
        auto img = TRY(svc.get(name));
        add(img, ref && !ref->tag.empty() && ref->digest.empty() ? &*ref : nullptr);
    }
    return items;
}

Result<ImageBlobs> imageBlobs(Service& svc, const Image& img) {
    ImageBlobs b;
    auto& cs = svc.content();
    b.config = TRY_CTX(cs.readVerified(img.id), "config of {}", img.id.str());
    b.cfg = TRY_CTX(parseImageConfig(b.config), "config of {}", img.id.str());
    auto mbytes = TRY_CTX(cs.readVerified(img.manifestDigest), "manifest of {}", img.id.str());
    b.manifest = TRY_CTX(parseManifest(mbytes), "manifest of {}", img.id.str());
    b.layers = b.manifest.layers;
    if (b.layers.size() != b.cfg.diffIds.size())
        return invalid("image {}: manifest has {} layers, config {} diff_ids", img.id.str(),
                       b.layers.size(), b.cfg.diffIds.size());
    return b;
}

}  // namespace berth::image::transfer
