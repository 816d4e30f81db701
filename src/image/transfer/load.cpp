// `docker load`: a docker save archive (legacy manifest.json layout, or the OCI layout docker
// 25+ writes alongside it) or an OCI archive, read as one stream.
//
// The archive's order is arbitrary (layers may come before manifest.json), so every data file
// goes straight into the content store as it streams by (verified against its name when that
// is a digest, blobs/sha256/<hex>), small metadata files are kept in memory, and links are
// remembered. Once the stream ends the manifests are known: layers are unpacked from the stored
// blobs, checked against the configs' diffIDs, and the images registered. Nothing is extracted
// to a temporary directory.
#include <nlohmann/json.hpp>

#include "image/content_store.h"
#include "image/media.h"
#include "image/reference.h"
#include "image/service.h"
#include "image/transfer/blob_io.h"
#include "image/transfer/install.h"
#include "image/transfer/tar_reader.h"

namespace berth::image {

namespace {

using namespace transfer;

constexpr int64_t kMaxMetaSize = 64 << 20;

struct Collected {
    std::map<std::string, std::string> meta;   // small JSON files by path
    std::map<std::string, Stored> blobs;       // data files by path, stored
    std::map<std::string, std::string> links;  // symlinks and hardlinks: path -> target path
};

// Files read into memory rather than stored: docker's metadata, legacy configs (<hex>.json
// at the top) and the per-layer v1 json/VERSION files.
bool isMetaFile(const std::string& n) {
    if (n == "manifest.json" || n == "index.json" || n == "oci-layout" || n == "repositories")
        return true;
    if (n.find('/') == std::string::npos) return n.ends_with(".json");
    return n.ends_with("/json") || n.ends_with("/VERSION");
}

// blobs/sha256/<hex> -> its digest; nullopt for any other path.
std::optional<Digest> blobPathDigest(const std::string& n) {
    constexpr std::string_view prefix = "blobs/sha256/";
    if (!n.starts_with(prefix)) return std::nullopt;
    auto d = Digest::parse("sha256:" + n.substr(prefix.size()));
    if (!d) return std::nullopt;
    return *d;
}

Result<Collected> collect(Service& svc, Ledger& ledger, const archive::ReadFn& src) {
    auto tr = TRY(TarReader::open(src));
    Collected c;
    while (true) {
        auto e = TRY(tr->next());
        if (!e) break;
        if (e->name.empty()) continue;
        using T = TarEntry::Type;
        if (e->type == T::Symlink) {
            std::string base = e->name.find('/') == std::string::npos
                                   ? std::string()
                                   : e->name.substr(0, e->name.rfind('/') + 1);
            c.links[e->name] =
                normalizeArchivePath(e->link.starts_with("/") ? e->link : base + e->link);
        } else if (e->type == T::Hardlink) {
            c.links[e->name] = e->link;
        } else if (e->type == T::File) {
            if (isMetaFile(e->name)) {
                c.meta[e->name] = TRY_CTX(tr->readAll(kMaxMetaSize), "{}", e->name);
                continue;
            }
            c.blobs[e->name] =
                TRY_CTX(ingestStream(svc, ledger, tr->entryReader(), blobPathDigest(e->name)), "{}",
                        e->name);
        }
    }
    return c;
}

struct Found {
    const std::string* meta = nullptr;
    const Stored* blob = nullptr;
};

// Finds a file by path, following links inside the archive.
Result<Found> resolve(const Collected& c, const std::string& path) {
    std::string p = normalizeArchivePath(path);
    for (int hops = 0; hops < 16 && !p.empty(); ++hops) {
        if (auto it = c.meta.find(p); it != c.meta.end()) return Found{&it->second, nullptr};
        if (auto it = c.blobs.find(p); it != c.blobs.end()) return Found{nullptr, &it->second};
        auto it = c.links.find(p);
        if (it == c.links.end()) break;
        p = it->second;
    }
    return invalid("{} is not in the archive", path);
}

struct DockerItem {
    std::string config;
    std::vector<std::string> repoTags;
    std::vector<std::string> layers;
};

Result<std::vector<DockerItem>> parseDockerManifest(const std::string& json) {
    try {
        auto j = nlohmann::json::parse(json);
        if (!j.is_array()) return invalid("manifest.json: not an array");
        std::vector<DockerItem> out;
        for (const auto& e : j) {
            DockerItem it;
            it.config = e.at("Config").get<std::string>();
            if (e.contains("RepoTags") && !e["RepoTags"].is_null())
                it.repoTags = e["RepoTags"].get<std::vector<std::string>>();
            if (e.contains("Layers") && !e["Layers"].is_null())
                it.layers = e["Layers"].get<std::vector<std::string>>();
            out.push_back(std::move(it));
        }
        return out;
    } catch (const nlohmann::json::exception& e) {
        return invalid("manifest.json: {}", e.what());
    }
}

// One manifest.json entry: store its config, build a local manifest for its layers (Docker
// schema2, or OCI when a layer is zstd), unpack the layers.
Result<Prepared> prepareDockerItem(Service& svc, Ledger& ledger, const Collected& c,
                                   const DockerItem& item, Progress& p) {
    auto cf = TRY(resolve(c, item.config));
    Digest cfgDigest;
    std::string cfgBytes;
    if (cf.meta) {
        cfgBytes = *cf.meta;
        cfgDigest = TRY(putBlob(svc, ledger, cfgBytes));
    } else {
        cfgDigest = cf.blob->digest;
        cfgBytes = TRY(svc.content().readVerified(cfgDigest));
    }
    auto cfg = TRY_CTX(parseImageConfig(cfgBytes), "config {}", item.config);

    Manifest m;
    std::vector<archive::Compression> comps;
    for (const auto& path : item.layers) {
        auto lf = TRY(resolve(c, path));
        if (!lf.blob) return invalid("layer {} is not a layer file", path);
        comps.push_back(TRY(blobCompression(svc.content(), lf.blob->digest)));
        m.layers.push_back(Descriptor{"", lf.blob->digest, lf.blob->size, {}, {}, {}});
    }
    bool oci = std::find(comps.begin(), comps.end(), archive::Compression::Zstd) != comps.end();
    for (size_t i = 0; i < m.layers.size(); ++i)
        m.layers[i].mediaType = layerMediaType(comps[i], oci);
    m.mediaType = oci ? media::kOciManifest : media::kDockerManifest;
    m.config = Descriptor{std::string(oci ? media::kOciConfig : media::kDockerConfig),
                          cfgDigest,
                          static_cast<int64_t>(cfgBytes.size()),
                          {},
                          {},
                          {}};

    std::vector<std::string> tags;
    for (const auto& t : item.repoTags) {
        auto ref = TRY_CTX(Reference::parse(t), "RepoTags");
        if (!ref.tag.empty()) tags.push_back(ref.name() + ":" + ref.tag);
    }
    TRY_CTX(unpackLayers(svc, ledger, m.layers, cfg.diffIds, p), "image {}", cfgDigest.str());
    Digest md = TRY(putBlob(svc, ledger, toJson(m)));
    Prepared out{md, cfgDigest, std::move(tags), {md, cfgDigest}};
    for (const auto& l : m.layers) out.blobs.push_back(l.digest);
    return out;
}

// An OCI archive (index.json, no manifest.json): every entry of the index, named by its
// annotations.
Result<std::vector<Prepared>> prepareOciIndex(Service& svc, Ledger& ledger, const Collected& c,
                                              Progress& p) {
    auto idx = TRY_CTX(parseIndex(c.meta.at("index.json")), "index.json");
    std::vector<Prepared> out;
    std::map<Digest, size_t> seen;
    for (const auto& d : idx.manifests) {
        if (!svc.content().has(d.digest))
            return invalid("index.json names {}, which is not in the archive", d.digest.str());
        auto md = TRY(resolvePlatform(svc, d));
        auto [it, fresh] = seen.emplace(md.digest, out.size());
        if (fresh) out.push_back(TRY(prepareManifest(svc, ledger, md.digest, p)));
        auto name = nameFromAnnotations(d.annotations);
        auto& tags = out[it->second].tags;
        if (!name.empty() && std::find(tags.begin(), tags.end(), name) == tags.end())
            tags.push_back(name);
    }
    return out;
}

}  // namespace

Result<std::vector<std::string>> Service::load(const archive::ReadFn& src, Progress& p) {
    transfer::Ledger ledger(*this);
    auto c = TRY_CTX(collect(*this, ledger, src), "load");
    std::vector<transfer::Prepared> images;
    if (auto it = c.meta.find("manifest.json"); it != c.meta.end()) {
        auto items = TRY_CTX(parseDockerManifest(it->second), "load");
        for (const auto& item : items)
            images.push_back(TRY_CTX(prepareDockerItem(*this, ledger, c, item, p), "load"));
    } else if (c.meta.count("index.json")) {
        images = TRY_CTX(prepareOciIndex(*this, ledger, c, p), "load");
    } else {
        return invalid(
            "load: the archive has neither manifest.json nor index.json (not a "
            "docker save or OCI archive)");
    }
    if (images.empty()) return invalid("load: the archive holds no images");
    return TRY_CTX(transfer::registerPrepared(*this, ledger, images), "load");
}

}  // namespace berth::image
