// Internal: a chunked response started on its first write, so an operation that fails before
// producing anything still answers with a proper HTTP error status.
#pragma once

#include <mutex>
#include <string>

#include "api/exchange.h"

namespace berth::api {

class LazyStream {
  public:
    LazyStream(Exchange& ex, std::string contentType) : ex_(ex), ct_(std::move(contentType)) {}
    // Thread-safe (progress comes from download threads).
    Status write(std::string_view data) {
        std::lock_guard lk(mu_);
        if (!ex_.responseStarted()) TRY(ex_.beginStream(200, ct_));
        return ex_.writeChunk(data);
    }
    // After the operation: the error as an HTTP status when nothing was sent, else in-stream.
    Status finish(const Status& result);

  private:
    std::mutex mu_;
    Exchange& ex_;
    std::string ct_;
};

}  // namespace berth::api
