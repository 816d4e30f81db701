// Layer tarballs: unpack (safely, into overlayfs form) and create (from an overlay upper dir or
// any directory), with gzip/zstd/none compression, through libarchive.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/digest.h"

namespace berth::image::archive {

enum class Compression { None, Gzip, Zstd };
std::string_view compressionName(Compression c);

// Pull-style source: fills up to n bytes, returns 0 at the end of the data.
using ReadFn = std::function<Result<size_t>(void* buf, size_t n)>;
// Push-style sink.
using SinkFn = std::function<Status(const void* data, size_t n)>;

struct UnpackOptions {
    // Turn ".wh.<name>" into a 0/0 char device and ".wh..wh..opq" into the
    // trusted.overlay.opaque xattr (layers for overlayfs). false: apply whiteouts by deleting
    // (flattening several layers into one tree, e.g. `export`).
    bool overlayWhiteouts = true;
    bool preserveOwnership = true;  // chown entries (root only)
    // Called with the number of compressed bytes consumed so far (progress).
    std::function<void(int64_t)> onProgress;
};

struct UnpackResult {
    Digest diffId;          // sha256 of the uncompressed tar
    int64_t tarSize = 0;    // uncompressed bytes
    int64_t unpackedSize = 0;  // sum of regular file sizes written
    Compression compression = Compression::None;
};

// Detects the compression from the magic bytes, decompresses, hashes the uncompressed stream
// and extracts the tar into destDir (an existing directory). Every path is resolved inside
// destDir (openat2 RESOLVE_IN_ROOT): absolute names, "..", and symlinks or hardlinks that point
// outside are contained or rejected; nothing outside destDir is ever written. Devices, xattrs,
// hardlinks, ownership, modes and mtimes are preserved.
Result<UnpackResult> unpackLayer(const ReadFn& src, const std::string& destDir,
                                 const UnpackOptions& o = {});

struct TarResult {
    Digest diffId;        // sha256 of the uncompressed tar
    int64_t tarSize = 0;  // uncompressed bytes
};

struct TarOptions {
    // Overlay upper dir semantics: 0/0 char devices become ".wh.<name>" and the opaque xattr
    // ".wh..wh..opq". false: a plain tree (export, build context).
    bool fromOverlayUpper = false;
    // Paths (relative, '/'-separated) to leave out, and to rewrite owners.
    std::function<bool(const std::string& rel, bool isDir)> exclude;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    // Prefix added to every name (e.g. "rootfs/"); empty for none.
    std::string prefix;
};

// Writes a tar of dir (deterministic order, mtimes kept) to sink, compressed as asked.
Result<TarResult> writeTar(const std::string& dir, const SinkFn& sink, Compression c,
                           const TarOptions& o = {});

// `docker diff` of an overlay upper dir: kind is 'A' (added), 'C' (changed) or 'D' (deleted).
struct Change {
    char kind;
    std::string path;  // absolute inside the container ("/etc/passwd")
};
// lowerDirs: top-most first (to tell added from changed).
Result<std::vector<Change>> diffUpper(const std::string& upperDir,
                                      const std::vector<std::string>& lowerDirs);

// Streaming compressor: bytes written go out compressed to `out`.
class Compressor {
public:
    virtual ~Compressor() = default;
    virtual Status write(const void* data, size_t n) = 0;
    virtual Status finish() = 0;
};
Result<std::unique_ptr<Compressor>> makeCompressor(Compression c, SinkFn out, int level = -1);

}  // namespace berth::image::archive
