// Image records and tags (internal to the image layer): <root>/image/images.json, replaced
// atomically (temp + fsync + rename) on every change under an flock so that several processes
// sharing a root (the daemon and a tool) never lose each other's updates.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "image/digest.h"

namespace berth::image {

struct ImageRecord {
    Digest manifest;
    std::string parent;                    // "sha256:.." or ""
    std::vector<std::string> repoDigests;  // full names "docker.io/library/x@sha256:.."
    std::vector<Digest> blobs;             // every blob this image keeps (manifest, config, layers)
    std::string loaded;                    // when it was recorded (RFC 3339)
};

struct MetaData {
    std::map<std::string, ImageRecord> images;  // key: image ID "sha256:.."
    std::map<std::string, std::string> tags;    // full "name:tag" -> image ID, in no order
    std::vector<std::string> tagOrder;          // full names in the order they were applied
};

class MetaStore {
public:
    static Result<MetaStore> open(const std::string& root);
    // Reads the current state (shared lock).
    Result<MetaData> read() const;
    // Read-modify-write under an exclusive lock; `f` returns an error to abort without writing.
    Status update(const std::function<Status(MetaData&)>& f);

private:
    explicit MetaStore(std::string dir) : dir_(std::move(dir)) {}
    Result<MetaData> readLocked() const;
    std::string dir_;
};

}  // namespace berth::image
