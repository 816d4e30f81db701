// Streaming readers over libarchive: the entries of an outer tar (docker save archives, OCI
// archives; gzip/zstd/xz/bzip2 outer compression detected), and a plain decompressor.
// Nothing is extracted to disk: entry data is handed to the caller as it is read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "image/archive/archive.h"

struct archive;

namespace berth::image::transfer {

struct TarEntry {
    enum class Type { File, Dir, Symlink, Hardlink, Other };
    std::string name;  // normalised: no leading "./" or "/", no trailing "/"
    Type type = Type::Other;
    int64_t size = 0;
    std::string link;  // symlink target (as written) or hardlink target (normalised)
};

class TarReader {
  public:
    // Reads a tar from src (any compression libarchive knows).
    static Result<std::unique_ptr<TarReader>> open(archive::ReadFn src);
    ~TarReader();
    TarReader(const TarReader&) = delete;
    TarReader& operator=(const TarReader&) = delete;

    // The next entry, nullopt at the end. Unread data of the previous entry is skipped.
    Result<std::optional<TarEntry>> next();
    // Data of the current entry; 0 at its end.
    Result<size_t> read(void* buf, size_t n);
    // The current entry's data as a ReadFn (valid until next()).
    archive::ReadFn entryReader();
    // All of the current entry's data; refuses more than max bytes.
    Result<std::string> readAll(int64_t max);

  private:
    struct Src;
    TarReader();
    Error fail(std::string_view what);
    struct ::archive* a_ = nullptr;
    std::unique_ptr<Src> src_;
};

// The decompressed bytes of src (gzip, zstd, xz, bzip2 or none), as a ReadFn.
Result<archive::ReadFn> decompressingReader(archive::ReadFn src);

// Normalises an archive path: strips "./" and leading "/", collapses "a/./b", resolves "..".
// Returns "" for a path that climbs out of the archive root.
std::string normalizeArchivePath(std::string_view p);

}  // namespace berth::image::transfer
