// Pulling one layer: its blob downloaded into the content store (resuming a partial ingest)
// while it is unpacked into the layer store from the growing ingest file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "common/result.h"
#include "image/content_store.h"
#include "image/layer_store.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/registry/client.h"

namespace berth::image::registry {

// At most n downloads at once in one pull, granted in layer order.
class DownloadSlots {
  public:
    explicit DownloadSlots(int n) : free_(n < 1 ? 1 : n) {}
    bool wouldWait(int index);
    void acquire(int index);
    void release();

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    int free_;
    std::set<int> waiting_;
};

struct LayerFetch {
    int index = 0;  // position in the manifest (slots go in this order)
    Descriptor desc;
    Digest diffId;
};

struct FetchEnv {
    Client& client;
    ContentStore& content;
    LayerStore& layers;
    DownloadSlots& slots;
    Progress& progress;
    const std::atomic<bool>& cancelled;  // the pull failed elsewhere: stop if nobody else waits
};

// Makes the layer's blob present (digest and size verified) and the layer unpacked (diffID
// verified), emitting docker's per-layer progress under the blob's short ID. Calls for the same
// blob in one process share the work: the later ones follow the first's progress. On failure
// nothing of this layer is kept except a partial ingest that a later pull resumes (a blob
// that does not verify is thrown away).
Status fetchLayer(const FetchEnv& env, const LayerFetch& l);

}  // namespace berth::image::registry
