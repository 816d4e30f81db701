// Small I/O helpers shared by load, save, import and the OCI layout code: streams over fds
// and content-store blobs, compression sniffing, ingesting a stream with its digest, and a
// ledger of what one operation stored so that a failure leaves nothing behind.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "image/archive/archive.h"
#include "image/digest.h"
#include "image/manifest.h"

namespace berth::image {
class Service;
class ContentStore;
}  // namespace berth::image

namespace berth::image::transfer {

// A ReadFn over an fd it owns (shared, so the function may be copied).
archive::ReadFn fdReader(UniqueFd fd);
// A ReadFn over a stored blob.
Result<archive::ReadFn> blobReader(const ContentStore& cs, const Digest& d);

// Gzip / zstd / none from the first bytes ("none" for anything else too).
archive::Compression sniffCompression(const void* data, size_t n);
// The compression of a stored blob (reads its first bytes).
Result<archive::Compression> blobCompression(const ContentStore& cs, const Digest& d);
// The layer media type for a compression, in the OCI or the Docker family.
std::string layerMediaType(archive::Compression c, bool oci);

// "<prefix>-<16 random hex>", a name for an ingest or temp file nobody else uses.
std::string uniqueName(std::string_view prefix);

// The chain ID of the layer stack diffIds[0..n] (docker's layer.CreateChainID).
Digest chainId(const std::vector<Digest>& diffIds, size_t n);

// Tracks the blobs and layers one operation created (not those that were already there), so
// a failure removes them again; on success, blobs outside the kept set are removed too
// (blobs an archive carried that no loaded image refers to).
class Ledger {
  public:
    explicit Ledger(Service& svc) : svc_(svc) {}
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    void addBlob(const Digest& d) { blobs_.insert(d); }
    void addLayer(const Digest& diffId) { layers_.insert(diffId); }
    bool createdBlob(const Digest& d) const { return blobs_.count(d) != 0; }
    // Success: keeps everything in `keep`, drops the other new blobs, forgets the layers.
    void finish(const std::set<Digest>& keep);

  private:
    Service& svc_;
    std::set<Digest> blobs_;
    std::set<Digest> layers_;
    bool done_ = false;
};

// Streams src into the content store. With `expected`, the data must match it; without, the
// digest is computed on the way. Blobs that were not there before are recorded in the ledger.
struct Stored {
    Digest digest;
    int64_t size = 0;
};
Result<Stored> ingestStream(Service& svc, Ledger& ledger, const archive::ReadFn& src,
                            const std::optional<Digest>& expected);
// Stores a small blob (configs, manifests), recording it in the ledger when new.
Result<Digest> putBlob(Service& svc, Ledger& ledger, std::string_view data);

// Hashes the decompressed content of a stored blob and compares it with diffId (used when the
// layer already exists, so the layer store would not read the blob).
Status verifyDiffId(const ContentStore& cs, const Digest& blob, const Digest& diffId);

}  // namespace berth::image::transfer
