// A bounded hand-off of big buffers from the decompressing thread to the extracting thread;
// buffers are recycled, so a whole unpack allocates only a few of them.
#include "image/archive/internal.h"

namespace berth::image::archive::detail {

Chunk ChunkQueue::take() {
    {
        std::lock_guard lk(mu_);
        if (!pool_.empty()) {
            Chunk c = std::move(pool_.back());
            pool_.pop_back();
            c.len = 0;
            c.hashed = false;
            return c;
        }
    }
    return Chunk{std::unique_ptr<uint8_t[]>(new uint8_t[kChunkSize]), 0};
}

void ChunkQueue::recycle(Chunk c) {
    if (!c.data) return;
    std::lock_guard lk(mu_);
    pool_.push_back(std::move(c));
}

bool ChunkQueue::push(Chunk c) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return aborted_ || q_.size() < depth_; });
    if (aborted_) return false;
    q_.push_back(std::move(c));
    cv_.notify_all();
    return true;
}

bool ChunkQueue::pop(Chunk& c) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return aborted_ || closed_ || !q_.empty(); });
    if (aborted_ || q_.empty()) return false;
    c = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return true;
}

void ChunkQueue::close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
}

void ChunkQueue::abort() {
    std::lock_guard lk(mu_);
    aborted_ = true;
    cv_.notify_all();
}

bool ChunkQueue::aborted() const {
    std::lock_guard lk(mu_);
    return aborted_;
}

}  // namespace berth::image::archive::detail
