// The build cache: step key -> image ID, one small file per key under
// <root>/image/buildcache/index/. A key covers everything a step's result depends on: the
// parent image ID (which covers its config and layers), the step's text after ARG/ENV
// expansion (with build args in effect for RUN), the resulting runtime config, and the inputs
// (a hash of the files COPY/ADD reads). An entry is only trusted while its image exists (the
// caller checks); a stale one is overwritten by the next store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/manifest.h"

namespace berth::image::build {

struct CacheKeyInput {
    std::string parentId;  // "sha256:.." or "" (scratch)
    std::string createdBy;
    ContainerConfig config;  // the step's resulting runtime config
    std::string author;
    std::string inputs;  // content hash of copied files, "" for none
};

std::string cacheKey(const CacheKeyInput& in);

class BuildCache {
  public:
    explicit BuildCache(std::string dir) : dir_(std::move(dir)) {}
    // The image ID stored for key, if any.
    std::optional<std::string> lookup(const std::string& key) const;
    Status store(const std::string& key, const std::string& imageId);
    Status remove(const std::string& key);
    // Every entry (POST /build/prune): the keys removed and the bytes their files held.
    struct Pruned {
        std::vector<std::string> keys;
        uint64_t bytes = 0;
    };
    Result<Pruned> prune();

  private:
    std::string path(const std::string& key) const;
    std::string dir_;
};

}  // namespace berth::image::build
