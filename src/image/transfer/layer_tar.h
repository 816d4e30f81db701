// The uncompressed tar of a stored layer, for `save` (docker archives carry layer.tar files):
// the blob itself when it is uncompressed, else the blob decompressed into an unlinked temp
// file (its size must be known before the tar header is written), or, when the blob is gone,
// the unpacked diff tarred again. Every path checks the result against the diffID.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "image/archive/archive.h"
#include "image/digest.h"
#include "image/manifest.h"

namespace berth::image {
class Service;
}

namespace berth::image::transfer {

struct LayerTar {
    int64_t size = 0;
    archive::ReadFn reader;
};

Result<LayerTar> layerTar(Service& svc, const Descriptor& blob, const Digest& diffId);

}  // namespace berth::image::transfer
