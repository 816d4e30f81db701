// Unpacked layers, shared by every image and container: <root>/layers/<diffid hex>/diff.
//
// A layer is keyed by its diffID (the digest of its uncompressed tar). Layers are unpacked in
// overlayfs form (whiteouts as 0/0 char devices, opaque dirs as xattrs), so each one is
// independent of its parents: the same diff is reused wherever it appears in any image, and
// several layers of one pull unpack in parallel. A layer is unpacked in <root>/layers/tmp-*
// and renamed into place when complete and verified; tmp-* are removed on open.
#pragma once

#include <cstdint>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/archive/archive.h"
#include "image/digest.h"

namespace berth::image {

struct LayerInfo {
    Digest diffId;
    int64_t size = 0;  // bytes of regular files (docker's layer size)
    std::string path;  // .../diff
};

class LayerStore {
public:
    static Result<std::unique_ptr<LayerStore>> open(const std::string& root);

    std::string diffDir(const Digest& diffId) const;
    bool has(const Digest& diffId) const;
    Result<LayerInfo> info(const Digest& diffId) const;

    // Unpacks `src` (a compressed or plain layer tar). With expectedDiffId the result must
    // match (else nothing is kept); when the layer already exists, returns at once without
    // reading src. Two concurrent creates of one diffID in this process share one unpack.
    Result<LayerInfo> create(const archive::ReadFn& src,
                             const std::optional<Digest>& expectedDiffId,
                             const archive::UnpackOptions& o = {});
    // Adopts a directory already in overlay form (a committed container upper dir copied by
    // the caller into tmpDir()): renamed into place as diffId.
    Result<LayerInfo> adopt(const std::string& dir, const Digest& diffId);
    Status remove(const Digest& diffId);
    Result<std::vector<LayerInfo>> list() const;
    // An empty directory usable as the only lower dir of a scratch image's overlay.
    std::string emptyDir() const;
    std::string tmpDir() const;

private:
    explicit LayerStore(std::string root);
    template <typename G>
    Result<LayerInfo> adoptTmp(const std::string& tmp, const Digest& d, int64_t size, G& cleanup);
    std::string root_;
    mutable std::mutex mu_;
    std::set<std::string> inflight_;
    std::condition_variable cv_;
};

}  // namespace berth::image
