// A streaming tar writer (libarchive, pax-restricted ustar) over a sink: files from memory or
// from a stream of known size, directories and symlinks. Owner root, fixed modes, mtime as
// given (0 by default) so that the same input gives the same archive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "image/archive/archive.h"

struct archive;

namespace berth::image::transfer {

class TarWriter {
  public:
    static Result<std::unique_ptr<TarWriter>> open(archive::SinkFn sink);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    Status addFile(const std::string& name, std::string_view data, int64_t mtime = 0);
    // Exactly `size` bytes from src (fewer is an error).
    Status addStream(const std::string& name, int64_t size, const archive::ReadFn& src,
                     int64_t mtime = 0);
    Status addDir(const std::string& name, int64_t mtime = 0);
    Status addSymlink(const std::string& name, const std::string& target, int64_t mtime = 0);
    // Writes the end-of-archive blocks; the writer is unusable afterwards.
    Status close();

  private:
    struct Sink;
    TarWriter();
    Error fail(std::string_view what);
    Status header(const std::string& name, unsigned type, int mode, int64_t size,
                  const std::string& link, int64_t mtime);
    struct ::archive* a_ = nullptr;
    std::unique_ptr<Sink> sink_;
    bool closed_ = false;
};

}  // namespace berth::image::transfer
