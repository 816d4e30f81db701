// The second half of every load (docker archives, OCI archives, OCI layout directories): the
// blobs are in the content store; unpack and verify the layers, then register the images and
// their tags. Preparing everything before registering anything keeps a failed load from
// leaving half an image behind (the Ledger removes what was stored).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/transfer/blob_io.h"

namespace berth::image {
class Service;
}

namespace berth::image::transfer {

// An image whose blobs are stored and whose layers are unpacked, waiting to be registered.
struct Prepared {
    Digest manifest;
    Digest config;
    std::vector<std::string> tags;  // full references ("docker.io/library/x:1")
    std::vector<Digest> blobs;      // manifest, config and layer blobs (kept on success)
};

// Unpacks layers[i] (stored blobs) as diffIds[i], emitting "Loading layer" progress. A layer
// that exists is not unpacked again, but a blob this load brought is still checked against
// its diffID so that a corrupt archive is refused either way.
Status unpackLayers(Service& svc, Ledger& ledger, const std::vector<Descriptor>& layers,
                    const std::vector<Digest>& diffIds, Progress& p);

// Reads a stored manifest and its config, and unpacks its layers.
Result<Prepared> prepareManifest(Service& svc, Ledger& ledger, const Digest& manifest, Progress& p);

// Resolves a stored index or manifest to the linux/amd64 image manifest descriptor.
Result<Descriptor> resolvePlatform(Service& svc, const Descriptor& d);

// Registers prepared images with their tags. Returns docker's output lines:
// "Loaded image: x:y" per tag, "Loaded image ID: sha256:.." for an untagged image.
Result<std::vector<std::string>> registerPrepared(Service& svc, Ledger& ledger,
                                                  const std::vector<Prepared>& images);

// The tag an index entry names (io.containerd.image.name, or a full reference in
// org.opencontainers.image.ref.name); "" when it names none (a bare ref.name such as "latest"
// is only a tag within the layout, not an image name).
std::string nameFromAnnotations(const std::map<std::string, std::string>& annotations);

}  // namespace berth::image::transfer
