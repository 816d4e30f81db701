// Internal to the image layer: the Service's metadata member and name helpers.
#pragma once

#include "image/meta_store.h"
#include "image/reference.h"
#include "image/service.h"

namespace berth::image {

struct Service::Meta {
    MetaStore store;
};

// "docker.io/library/busybox:latest" -> "busybox:latest" (unparseable names unchanged).
inline std::string familiarTag(const std::string& full) {
    auto r = Reference::parse(full, false);
    return r ? r->familiar() : full;
}

}  // namespace berth::image
