// Internals of the archive facility, shared by the .cpp files of this folder only (no one else
// includes this header).
#pragma once

#include <locale.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "image/archive/archive.h"

struct archive;

namespace berth::image::archive::detail {

// Size of every I/O buffer: big enough that per-call overhead (syscalls, libarchive callbacks,
// hash updates) vanishes next to the bytes moved.
constexpr size_t kChunkSize = 1 << 20;

// A libarchive failure as an Error (its errno when it has a real one).
Error archiveError(struct archive* a, std::string_view what);

// ---- charset (utf8_locale.cpp) ----

// Makes the calling thread's LC_CTYPE UTF-8 while it lives (uselocale, the process locale is
// untouched). libarchive converts tar names between UTF-8 and the locale's charset: in the
// C locale of a daemon every non-ASCII name would be "unconvertible" (a warning on read, a
// hdrcharset=BINARY record on write). With UTF-8, names are written as Go's archive/tar does,
// and the tar bytes do not depend on the caller's locale.
class ScopedUtf8Locale {
  public:
    ScopedUtf8Locale();
    ~ScopedUtf8Locale();
    ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
    ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

  private:
    locale_t prev_ = static_cast<locale_t>(0);
};

// ---- compression detection and decompression (decompress.cpp) ----

// From the first bytes of a stream; errors for formats Berth does not take (bzip2, xz).
Result<Compression> detectCompression(const uint8_t* p, size_t n);

class Decompressor {
  public:
    virtual ~Decompressor() = default;
    // Consumes from in/inLen (advanced past what was used) and writes up to outCap bytes to out;
    // returns the bytes written. Call again while input is left or the output came back full.
    virtual Result<size_t> run(const uint8_t*& in, size_t& inLen, uint8_t* out, size_t outCap) = 0;
    // At the end of the input: errors when the stream stopped in the middle (truncated).
    virtual Status finish() = 0;
};
// Gzip or Zstd (None needs no decompressor).
Result<std::unique_ptr<Decompressor>> makeDecompressor(Compression c);

// ---- a bounded queue of buffers between two threads (chunk_queue.cpp) ----

struct Chunk {
    std::unique_ptr<uint8_t[]> data;
    size_t len = 0;
    bool hashed = false;  // already fed to the diffID by the producer
};

class ChunkQueue {
  public:
    explicit ChunkQueue(size_t depth) : depth_(depth) {}
    // An empty buffer of kChunkSize (reused from the pool when possible).
    Chunk take();
    void recycle(Chunk c);
    // Blocks while the queue is full; false when the consumer gave up (abort()).
    bool push(Chunk c);
    // Blocks until a chunk arrives; false at the end (close()) or on abort().
    bool pop(Chunk& c);
    void close();  // producer: no more chunks
    void abort();  // either side: stop at once, wakes everyone
    bool aborted() const;

  private:
    const size_t depth_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Chunk> q_;
    std::vector<Chunk> pool_;
    bool closed_ = false;
    bool aborted_ = false;
};

// ---- paths confined to a root directory (safe_open.cpp) ----

// Normalises a tar entry name to a path relative to the root ("" is the root itself): leading
// '/' and "./" dropped, "." and empty components removed, ".." applied lexically. Errors when
// ".." would climb above the root, or with clampAtRoot stays at the root (as the kernel does
// for "/..").
Result<std::string> cleanEntryPath(std::string_view name, bool clampAtRoot = false);
// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}.
std::pair<std::string, std::string> splitParent(const std::string& rel);

class SafeRoot {
  public:
    static Result<SafeRoot> open(const std::string& dir);
    int fd() const { return fd_.get(); }
    // openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) of rel ("" = the root) with flags.
    Result<UniqueFd> openIn(const std::string& rel, int flags) const;
    // The directory rel as an O_PATH fd, symlinks resolved inside the root; with create,
    // missing directories are made (0755, like `mkdir -p`).
    Result<UniqueFd> openDir(const std::string& rel, bool create) const;

  private:
    static constexpr int kMaxSymlinks = 40;
    explicit SafeRoot(UniqueFd fd) : fd_(std::move(fd)) {}
    Result<UniqueFd> openDir(const std::string& rel, bool create, int depth) const;
    // Makes the target of the dangling symlink dirFd/name (at parent) as a directory.
    Status makeLinkTarget(int dirFd, const std::string& parent, const std::string& name,
                          int depth) const;
    UniqueFd fd_;
};

// rm -rf of dirfd/name without ever following a symlink; a missing name is fine.
Status removeAt(int dirfd, const std::string& name);
// The names in a directory (fd of any kind, "." and ".." left out), sorted.
Result<std::vector<std::string>> listDir(int dirfd);
// lstat of dirfd/name; ENOENT gives false.
Result<bool> lstatAt(int dirfd, const std::string& name, struct stat& st);
// "/proc/self/fd/<dirfd>/<name>": a path for the l*xattr calls, which do not follow the last
// component (used for symlinks and devices, which have no usable fd).
std::string procPath(int dirfd, const std::string& name);

// ---- whiteouts (whiteout.cpp) ----

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
inline constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

// A 0/0 character device: overlayfs' whiteout.
inline bool isWhiteoutDevice(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}
// trusted.overlay.opaque == "y" on the directory fd.
bool isOpaqueDir(int dirFd);
// Xattrs that belong to the overlay or the host, never to image content.
bool isPrivateXattr(std::string_view name);

}  // namespace berth::image::archive::detail
