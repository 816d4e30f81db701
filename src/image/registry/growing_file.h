// A file that a download appends to while an unpack reads it from the start: layers are
// unpacked as they stream in, from the content store's ingest file, with no temp tar.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "common/result.h"
#include "image/archive/archive.h"

namespace berth::image::registry {

class GrowingFile {
  public:
    // `written`: bytes already in the file (a resumed ingest).
    explicit GrowingFile(int64_t written) : written_(written) {}

    // Writer side.
    void appended(int64_t written);  // the file now holds `written` bytes
    void restarted();                // truncated to zero (the server ignored our Range)
    // The download ended: ok means complete and verified, so the reader may see the end.
    void finish(const Status& s);

    // Reader side: a ReadFn over fd (the ingest file, opened before the download can rename it)
    // that returns bytes up to what was written, blocks for more, ends (0) once the download
    // finished well and fails if it did not.
    archive::ReadFn reader(int fd);
    // The reader gave up (unpack failed): the download should stop.
    void abandon() { abandoned_ = true; }
    const std::atomic<bool>& abandoned() const { return abandoned_; }

  private:
    Result<size_t> read(int fd, int64_t& pos, void* buf, size_t n);

    std::mutex mu_;
    std::condition_variable cv_;
    int64_t written_;
    bool finished_ = false;
    Status result_;
    std::atomic<bool> abandoned_{false};
};

}  // namespace berth::image::registry
