// The image layer's facade: what the engine and the API call. Holds the content store, the
// layer store and the image/tag metadata; every public method is thread-safe.
//
// Layout under root (the daemon's --root): content/ (blobs), layers/ (unpacked), image/
// (images.json: images and tags).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/archive/archive.h"
#include "image/content_store.h"
#include "image/digest.h"
#include "image/layer_store.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/reference.h"
#include "image/snapshot.h"

namespace berth::image {

struct ServiceOptions {
    std::string root;                             // e.g. /var/lib/berth
    std::vector<std::string> insecureRegistries;  // host[:port] or CIDR spoken to over HTTP
    std::string authFile;  // docker config.json with "auths"; empty: ~/.berth/config.json
    int maxConcurrentDownloads = 3;
    int maxConcurrentUploads = 5;
    // For RUN in builds: the runtime library's state dir and the cgroup parent.
    std::string runtimeRoot = "/run/berth/runtime";
};

struct Image {
    Digest id;                             // digest of the config blob
    Digest manifestDigest;                 // the manifest stored locally for this image
    std::vector<std::string> repoTags;     // "busybox:latest" (familiar) order of tagging
    std::vector<std::string> repoDigests;  // "busybox@sha256:..."
    ImageConfig config;
    int64_t size = 0;    // sum of unpacked layer sizes
    std::string parent;  // builder parent image ID ("" when none)
    std::string created() const { return config.created; }
};

struct PullOptions {
    std::string os = "linux", arch = "amd64";
    std::optional<std::string> authHeader;  // X-Registry-Auth (base64 JSON) from the API
};

struct PushOptions {
    std::optional<std::string> authHeader;
};

struct RemovedItem {
    std::string untagged;  // "busybox:latest" or "busybox@sha256:.."
    std::string deleted;   // "sha256:..." (image ID or layer diffID)
};

struct PruneReport {
    std::vector<RemovedItem> removed;
    int64_t spaceReclaimed = 0;
};

struct DiskUsage {
    int64_t layersSize = 0;  // sum of all unpacked layers
    struct Entry {
        Image image;
        int64_t sharedSize = 0;  // bytes of layers also used by other images
        int64_t uniqueSize = 0;
        int containers = 0;  // filled by the engine
    };
    std::vector<Entry> images;
};

// A snapshot parent for containers: the layers to overlay, top-most first.
struct RootfsLayers {
    std::vector<std::string> lowerDirs;
};

class Service {
  public:
    static Result<std::unique_ptr<Service>> open(const ServiceOptions& o);
    ~Service();

    // Lookup: a reference ("busybox", "x:1", "x@sha256:.."), a full or short image ID.
    Result<Image> get(const std::string& nameOrId) const;
    std::vector<Image> list() const;
    Status tag(const std::string& source, const std::string& target);
    // Untags (name) or deletes (ID / last tag); force removes an image with several tags or
    // used as a parent; layers and blobs nothing else uses are freed unless noPrune.
    // untagOnly (an image a container uses): the references go, the image stays.
    Result<std::vector<RemovedItem>> remove(const std::string& nameOrId, bool force,
                                            bool noPrune = false, bool untagOnly = false);
    // Removes dangling images (all unused when !danglingOnly); `inUse` holds image IDs that
    // containers use (from the engine). Unreferenced blobs/layers/ingests are freed too.
    Result<PruneReport> prune(bool danglingOnly, const std::set<std::string>& inUse,
                              const std::map<std::string, std::string>& labelFilters = {});
    // Frees blobs and layers that no image references (except `keepLayers`, e.g. container
    // snapshots' parents); returns bytes freed.
    Result<int64_t> gc(const std::set<Digest>& keepLayers = {});
    Result<DiskUsage> diskUsage() const;
    // Image history, newest first (docker history).
    Result<std::vector<HistoryEntry>> history(const std::string& nameOrId) const;

    Result<RootfsLayers> rootfsLayers(const Digest& imageId) const;

    // Registry.
    Result<Image> pull(const std::string& ref, Progress& p, const PullOptions& o = {});
    Status push(const std::string& ref, Progress& p, const PushOptions& o = {});
    // `berth login`: verifies credentials against the registry and stores them (0600, docker's
    // config.json format). Returns the registry's "Login Succeeded" status text.
    Result<std::string> login(const std::string& server, const std::string& user,
                              const std::string& password);
    Status logout(const std::string& server);

    // Import/export (docker save/load tarballs; OCI layouts; rootfs tarballs).
    // load: every image in the archive, tags applied; returns "Loaded image: x:y" lines.
    Result<std::vector<std::string>> load(const archive::ReadFn& src, Progress& p);
    Status save(const std::vector<std::string>& names, const archive::SinkFn& out);
    Status saveOciLayout(const std::vector<std::string>& names, const std::string& dir);
    Result<Image> loadOciLayout(const std::string& dir, const std::string& tag);
    // `docker import`: a rootfs tarball (any compression) becomes a one-layer image; changes
    // are Dockerfile instructions (CMD, ENV, ...) applied to its config.
    Result<Image> importRootfs(const archive::ReadFn& src, const std::string& ref,
                               const std::vector<std::string>& changes, const std::string& message);

    // Creates an image from a container's overlay upper dir on top of parent (or none):
    // `docker commit` and each build step.
    struct CommitOptions {
        std::optional<Digest> parent;  // image the container was made from
        ContainerConfig config;        // the new image's runtime config
        std::string author, comment, createdBy;
        bool emptyLayer = false;  // metadata-only step: no new layer
        std::string ref;          // tag to apply, may be empty
    };
    Result<Image> commit(const std::string& upperDir, const CommitOptions& o);

    // Records a new image from its config and a list of existing layers (diffIDs must exist in
    // the layer store and their compressed blobs in the content store, given by `layers`).
    Result<Image> createImage(const ImageConfig& cfg, const std::vector<Descriptor>& layers,
                              const std::string& ref, const std::string& parent = "");

    // Registers an image whose manifest and config blobs are in the content store and whose
    // layers are unpacked (pull, load): applies `tagRef` (a reference with a tag, may be empty)
    // and records `repoDigest` ("name@sha256:..", may be empty).
    Result<Image> registerImage(const Digest& manifestDigest, const std::string& tagRef,
                                const std::string& repoDigest = "");

    ContentStore& content() { return *content_; }
    LayerStore& layers() { return *layers_; }
    const ServiceOptions& options() const { return opts_; }

  private:
    explicit Service(ServiceOptions o);
    struct Meta;
    Result<Digest> resolve(const std::string& nameOrId) const;
    Result<Image> loadImage(const Digest& id) const;
    Result<Digest> putLayerBlobFromUpper(const std::string& upperDir, Digest& diffId);
    Result<int64_t> freeUnreferenced(const std::set<Digest>& blobs, const std::set<Digest>& layers,
                                     std::vector<RemovedItem>* removed);
    ServiceOptions opts_;
    std::unique_ptr<ContentStore> content_;
    std::unique_ptr<LayerStore> layers_;
    std::unique_ptr<Meta> meta_;
    mutable std::mutex mu_;
};

}  // namespace berth::image
