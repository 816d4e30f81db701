// Which images and tags a save covers, as docker's `save` decides from its arguments: a
// name:tag saves that tag, a bare name every tag of the repository, an ID or name@digest the
// image without tags. An image named twice is saved once with all its named tags.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "image/service.h"

namespace berth::image::transfer {

struct SaveItem {
    Image image;
    std::vector<Reference> tags;  // with a tag each
};

Result<std::vector<SaveItem>> selectImages(Service& svc, const std::vector<std::string>& names);

// The stored config and manifest of an image, and its layers paired with their diffIDs.
struct ImageBlobs {
    std::string config;  // exact bytes (their digest is the image ID)
    ImageConfig cfg;
    Manifest manifest;
    std::vector<Descriptor> layers;  // layers[i] holds cfg.diffIds[i]
};
Result<ImageBlobs> imageBlobs(Service& svc, const Image& img);

}  // namespace berth::image::transfer
