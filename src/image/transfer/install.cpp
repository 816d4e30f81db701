// Unpacking and registering loaded images (see install.h).
#include "image/transfer/install.h"

#include "image/media.h"
#include "image/reference.h"
#include "image/service.h"

namespace berth::image::transfer {

Status unpackLayers(Service& svc, Ledger& ledger, const std::vector<Descriptor>& layers,
                    const std::vector<Digest>& diffIds, Progress& p) {
    auto& cs = svc.content();
    auto& ls = svc.layers();
    if (layers.size() != diffIds.size())
        return invalid("the image has {} layers but its config lists {} diff_ids", layers.size(),
                       diffIds.size());
    for (size_t i = 0; i < layers.size(); ++i) {
        const Digest& blob = layers[i].digest;
        const Digest& diffId = diffIds[i];
        if (!cs.has(blob)) return invalid("layer {} is missing from the archive", blob.str());
        auto comp = TRY(blobCompression(cs, blob));
        // An uncompressed layer's digest is its diffID: a cheap check before any unpacking.
        if (comp == archive::Compression::None && blob != diffId)
            return invalid("layer {} does not match its diffID {}", blob.str(), diffId.str());
        if (ls.has(diffId)) {
            if (ledger.createdBlob(blob) && comp != archive::Compression::None)
                TRY(verifyDiffId(cs, blob, diffId));
            continue;
        }
        std::string id = chainId(diffIds, i).shortHex();
        int64_t total = TRY(cs.size(blob));
        int64_t last = 0;
        archive::UnpackOptions o;
        o.onProgress = [&](int64_t cur) {
            if (cur - last < (512 << 10) && cur < total) return;
            last = cur;
            p.emit(ProgressEvent{id, "Loading layer", cur, total});
        };
        p.emit(ProgressEvent{id, "Loading layer", 0, total});
        auto src = TRY(blobReader(cs, blob));
        TRY_CTX(ls.create(src, diffId, o), "layer {}", blob.str());
        ledger.addLayer(diffId);
        p.emit(ProgressEvent{id, "Loading layer", total, total});
    }
    return {};
}

Result<Prepared> prepareManifest(Service& svc, Ledger& ledger, const Digest& manifest,
                                 Progress& p) {
    auto& cs = svc.content();
    auto bytes = TRY_CTX(cs.readVerified(manifest), "manifest {}", manifest.str());
    auto m = TRY_CTX(parseManifest(bytes), "manifest {}", manifest.str());
    auto cfgBytes = TRY_CTX(cs.readVerified(m.config.digest), "config {}", m.config.digest.str());
    auto cfg = TRY_CTX(parseImageConfig(cfgBytes), "config {}", m.config.digest.str());
    Prepared out{manifest, m.config.digest, {}, {manifest, m.config.digest}};
    std::vector<Descriptor> layers;
    for (const auto& l : m.layers) {
        layers.push_back(l);
        out.blobs.push_back(l.digest);
    }
    TRY_CTX(unpackLayers(svc, ledger, layers, cfg.diffIds, p), "image {}", m.config.digest.str());
    return out;
}

Result<Descriptor> resolvePlatform(Service& svc, const Descriptor& d) {
    Descriptor cur = d;
    for (int depth = 0; depth < 4; ++depth) {
        auto bytes = TRY_CTX(svc.content().readVerified(cur.digest), "{}", cur.digest.str());
        std::string mt = cur.mediaType.empty() ? TRY(sniffMediaType(bytes)) : cur.mediaType;
        if (media::isManifest(mt)) {
            cur.mediaType = mt;
            return cur;
        }
        if (!media::isIndex(mt))
            return invalid("{}: unsupported media type {}", cur.digest.str(), mt);
        auto idx = TRY_CTX(parseIndex(bytes), "index {}", cur.digest.str());
        cur = TRY_CTX(pickPlatform(idx), "index {}", cur.digest.str());
    }
    return invalid("{}: indexes nested too deeply", d.digest.str());
}

Result<std::vector<std::string>> registerPrepared(Service& svc, Ledger& ledger,
                                                  const std::vector<Prepared>& images) {
    std::set<Digest> keep;
    for (const auto& img : images) keep.insert(img.blobs.begin(), img.blobs.end());
    // From here on the blobs belong to images: a failure below must not remove them.
    ledger.finish(keep);
    std::vector<std::string> lines;
    for (const auto& img : images) {
        if (img.tags.empty()) {
            TRY_CTX(svc.registerImage(img.manifest, ""), "register {}", img.config.str());
            lines.push_back("Loaded image ID: " + img.config.str());
            continue;
        }
        for (const auto& tag : img.tags) {
            auto ref = TRY(Reference::parse(tag));
            if (auto old = svc.get(tag); old && old->id != img.config)
                lines.push_back(
                    fmt::format("The image {} already exists, renaming the old one "
                                "with ID {} to empty string",
                                ref.familiar(), old->id.str()));
            TRY_CTX(svc.registerImage(img.manifest, tag), "register {}", ref.familiar());
            lines.push_back("Loaded image: " + ref.familiar());
        }
    }
    return lines;
}

std::string nameFromAnnotations(const std::map<std::string, std::string>& annotations) {
    auto named = [](const std::string& s) -> std::string {
        auto r = Reference::parse(s);
        return r && !r->tag.empty() ? r->name() + ":" + r->tag : std::string();
    };
    if (auto it = annotations.find("io.containerd.image.name"); it != annotations.end())
        if (auto n = named(it->second); !n.empty()) return n;
    if (auto it = annotations.find("org.opencontainers.image.ref.name"); it != annotations.end())
        if (it->second.find_first_of(":/") != std::string::npos) return named(it->second);
    return "";
}

}  // namespace berth::image::transfer
