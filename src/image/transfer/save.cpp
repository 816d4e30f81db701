// `docker save`: images into one tar that old and new loaders read.
//
// The archive is docker 25's layout, an OCI image layout with docker's manifest.json beside it:
//   blobs/sha256/<diffID>      uncompressed layer tars (each layer once, however many images)
//   blobs/sha256/<config>      image configs, exact bytes (their digest is the image ID)
//   blobs/sha256/<manifest>    OCI manifests of those (uncompressed) layers
//   index.json, oci-layout     the OCI layout; one index entry per tag, named by annotations
//   manifest.json              [{"Config","RepoTags","Layers"}] pointing into blobs/
//   repositories               {"name":{"tag":"<top v1 id>"}}
// plus the pre-1.10 legacy files: <v1id>/{VERSION,json,layer.tar -> ../blobs/sha256/<diffID>}
// and <config hex>.json -> blobs/sha256/<config>. Written as a stream, layers first.
#include <nlohmann/json.hpp>

#include "image/media.h"
#include "image/service.h"
#include "image/transfer/blob_io.h"
#include "image/transfer/layer_tar.h"
#include "image/transfer/selection.h"
#include "image/transfer/tar_writer.h"

namespace berth::image {

namespace {

using namespace transfer;
using ojson = nlohmann::ordered_json;

// A legacy v1 layer ID: stable for the same layer stack and parent; the top one also depends
// on the image (it carries the image's config).
std::string v1Id(const Digest& chain, const std::string& parent, const std::string& image) {
    return sha256Of(chain.str() + "\n" + parent + "\n" + image).hex;
}

// The legacy <v1id>/json: the image's config for the top layer, an empty one below it.
std::string v1Json(const std::string& id, const std::string& parent, bool top,
                   const std::string& configBytes) {
    ojson j;
    j["id"] = id;
    if (!parent.empty()) j["parent"] = parent;
    auto cfg = ojson::parse(configBytes, nullptr, false);
    if (top && cfg.is_object()) {
        for (const char* k : {"created", "author", "comment", "docker_version", "config",
                              "container_config", "architecture", "variant", "os"})
            if (cfg.contains(k)) j[k] = cfg[k];
    } else {
        j["created"] = "1970-01-01T00:00:00Z";
        j["container_config"] = ojson::parse(containerConfigJson(ContainerConfig{}));
        if (cfg.is_object() && cfg.contains("os")) j["os"] = cfg["os"];
    }
    return j.dump();
}

class Saver {
  public:
    explicit Saver(Service& svc, TarWriter& tw) : svc_(svc), tw_(tw) {}

    Status image(const SaveItem& item) {
        const Image& img = item.image;
        auto b = TRY(imageBlobs(svc_, img));
        const auto& diffIds = b.cfg.diffIds;
        Manifest oci;
        oci.mediaType = media::kOciManifest;
        oci.config = Descriptor{std::string(media::kOciConfig),
                                img.id,
                                static_cast<int64_t>(b.config.size()),
                                {},
                                {},
                                {}};
        ojson layerPaths = ojson::array();
        std::string parent;
        for (size_t i = 0; i < diffIds.size(); ++i) {
            const Digest& diffId = diffIds[i];
            std::string path = "blobs/sha256/" + diffId.hex;
            if (!layerSizes_.count(diffId)) {
                auto lt = TRY_CTX(layerTar(svc_, b.layers[i], diffId), "image {}", img.id.str());
                TRY(tw_.addStream(path, lt.size, lt.reader));
                layerSizes_[diffId] = lt.size;
            }
            oci.layers.push_back(
                Descriptor{std::string(media::kOciLayer), diffId, layerSizes_[diffId], {}, {}, {}});
            layerPaths.push_back(path);
            bool top = i + 1 == diffIds.size();
            std::string v1 = v1Id(chainId(diffIds, i), parent, top ? img.id.str() : "");
            if (written_.insert(v1).second) {
                TRY(tw_.addDir(v1));
                TRY(tw_.addFile(v1 + "/VERSION", "1.0"));
                TRY(tw_.addFile(v1 + "/json", v1Json(v1, parent, top, b.config)));
                TRY(tw_.addSymlink(v1 + "/layer.tar", "../" + path));
            }
            parent = v1;
        }
        std::string cfgPath = "blobs/sha256/" + img.id.hex;
        if (written_.insert(cfgPath).second) {
            TRY(tw_.addFile(cfgPath, b.config));
            TRY(tw_.addSymlink(img.id.hex + ".json", cfgPath));
        }
        std::string mjson = toJson(oci);
        Digest md = sha256Of(mjson);
        if (written_.insert("blobs/sha256/" + md.hex).second)
            TRY(tw_.addFile("blobs/sha256/" + md.hex, mjson));

        ojson tags = ojson::array();
        Descriptor entry{std::string(media::kOciManifest),
                         md,
                         static_cast<int64_t>(mjson.size()),
                         Platform{b.cfg.architecture, b.cfg.os, b.cfg.variant, ""},
                         {},
                         {}};
        for (const auto& t : item.tags) {
            tags.push_back(t.familiar());
            if (!parent.empty()) repositories_[t.familiarName()][t.tag] = parent;
            entry.annotations = {{"io.containerd.image.name", t.str()},
                                 {"org.opencontainers.image.ref.name", t.tag}};
            index_.manifests.push_back(entry);
        }
        if (item.tags.empty()) index_.manifests.push_back(entry);
        manifest_.push_back(ojson{{"Config", cfgPath},
                                  {"RepoTags", item.tags.empty() ? ojson(nullptr) : tags},
                                  {"Layers", layerPaths}});
        return {};
    }

    Status finish() {
        index_.mediaType = media::kOciIndex;
        TRY(tw_.addFile("index.json", toJson(index_)));
        TRY(tw_.addFile("manifest.json", manifest_.dump() + "\n"));
        TRY(tw_.addFile("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
        if (!repositories_.empty()) TRY(tw_.addFile("repositories", repositories_.dump() + "\n"));
        return tw_.close();
    }

  private:
    Service& svc_;
    TarWriter& tw_;
    std::map<Digest, int64_t> layerSizes_;  // layers already written
    std::set<std::string> written_;         // other paths already written
    ojson manifest_ = ojson::array();
    ojson repositories_ = ojson::object();
    Index index_;
};

}  // namespace

Status Service::save(const std::vector<std::string>& names, const archive::SinkFn& out) {
    auto items = TRY_CTX(transfer::selectImages(*this, names), "save");
    auto tw = TRY_CTX(transfer::TarWriter::open(out), "save");
    TRY_CTX(tw->addDir("blobs"), "save");
    TRY_CTX(tw->addDir("blobs/sha256"), "save");
    Saver s(*this, *tw);
    for (const auto& item : items) TRY_CTX(s.image(item), "save {}", item.image.id.str());
    TRY_CTX(s.finish(), "save");
    return {};
}

}  // namespace berth::image
