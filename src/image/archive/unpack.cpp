// unpackLayer: two threads joined by a queue of big buffers. The calling thread reads the
// source and decompresses (so src and onProgress run where the caller expects); a worker
// parses the tar with libarchive and writes the files. The diffID (sha256 of the tar) is
// computed on the side with less work: the worker for gzip (inflating costs about as much as
// everything else together), the reader for zstd and plain layers. No temp files.
#include <archive.h>
#include <archive_entry.h>

#include <thread>

#include "common/scope_guard.h"
#include "image/archive/archive.h"
#include "image/archive/extract.h"
#include "image/archive/internal.h"

namespace berth::image::archive {

namespace detail {

Error archiveError(struct archive* a, std::string_view what) {
    const char* msg = archive_error_string(a);
    int code = archive_errno(a);
    return Error{code > 0 ? code : 0, fmt::format("{}: {}", what, msg ? msg : "libarchive error")};
}

}  // namespace detail

namespace {

using namespace detail;

constexpr size_t kQueueDepth = 8;

// libarchive's read side: hands over one queued buffer per call, zero-copy, hashing it on the
// way unless the producer did. One side hashes every chunk of a stream, in order.
struct TarSource {
    ChunkQueue* q;
    Sha256* hash;
    Chunk cur;
    int64_t size = 0;

    bool next() {
        q->recycle(std::move(cur));
        cur = Chunk{};
        if (!q->pop(cur)) return false;
        if (!cur.hashed) hash->update(cur.data.get(), cur.len);
        size += static_cast<int64_t>(cur.len);
        return true;
    }
};

la_ssize_t readChunk(struct archive* a, void* ud, const void** buf) {
    auto* s = static_cast<TarSource*>(ud);
    if (!s->next()) {
        if (!s->q->aborted()) return 0;  // end of the stream
        archive_set_error(a, ECANCELED, "layer stream failed");
        return -1;
    }
    *buf = s->cur.data.get();
    return static_cast<la_ssize_t>(s->cur.len);
}

Status extractAll(TarSource& src, Extractor& x) {
    ScopedUtf8Locale utf8;
    ChunkQueue& q = *src.q;
    struct archive* a = archive_read_new();
    if (!a) return invalid("archive_read_new failed");
    ScopeGuard freeA([a] { archive_read_free(a); });
    // Tar only (ustar, pax, gnu): we decompressed already, and no other format is a layer.
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open(a, &src, nullptr, readChunk, nullptr) != ARCHIVE_OK)
        return archiveError(a, "read tar");
    for (;;) {
        struct archive_entry* e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archiveError(a, "read tar");
        TRY(x.apply(a, e));
    }
    TRY(x.finish());
    // Whatever follows the end-of-archive blocks is part of the diffID too.
    while (src.next()) {
    }
    if (q.aborted()) return invalid("layer stream failed");
    return {};
}

// The calling thread's side: source -> (decompress) -> queue.
class Producer {
  public:
    Producer(const ReadFn& src, ChunkQueue& q, Sha256& hash, const UnpackOptions& o)
        : src_(src), q_(q), hash_(hash), o_(o) {}

    Status run(UnpackResult& res) {
        Chunk in = q_.take();
        // Enough bytes to recognise any magic number.
        while (in.len < 6) {
            size_t n = TRY(read(in, kChunkSize - in.len));
            if (n == 0) break;
        }
        if (in.len == 0) return invalid("empty layer (no data)");
        res.compression = TRY(detectCompression(in.data.get(), in.len));
        if (res.compression == Compression::None) {
            TRY(copyPlain(std::move(in)));
        } else {
            TRY(decompress(res.compression, std::move(in)));
        }
        return {};
    }
    bool cancelled() const { return cancelled_; }

  private:
    // Appends up to n bytes from src to c.
    Result<size_t> read(Chunk& c, size_t n) {
        size_t got = TRY_CTX(src_(c.data.get() + c.len, n), "read layer");
        c.len += got;
        consumed_ += static_cast<int64_t>(got);
        if (got && o_.onProgress) o_.onProgress(consumed_);
        return got;
    }
    // Fills c up to kChunkSize; false at the end of the source.
    Result<bool> fill(Chunk& c) {
        while (c.len < kChunkSize)
            if (TRY(read(c, kChunkSize - c.len)) == 0) return false;
        return true;
    }
    // hashHere: the worker has more to do than this thread (plain or zstd layers), so the
    // hash is better done here; for gzip, inflating is the slower side.
    Status emit(Chunk c, bool hashHere) {
        if (hashHere) {
            hash_.update(c.data.get(), c.len);
            c.hashed = true;
        }
        if (!q_.push(std::move(c))) {
            cancelled_ = true;
            return Error{ECANCELED, "extraction stopped"};
        }
        return {};
    }

    Status copyPlain(Chunk in) {
        for (;;) {
            bool more = TRY(fill(in));
            if (in.len > 0) TRY(emit(std::move(in), true));
            if (!more) return {};
            in = q_.take();
        }
    }

    Status decompress(Compression c, Chunk in) {
        auto dec = TRY(makeDecompressor(c));
        Chunk out = q_.take();
        while (in.len > 0) {
            const uint8_t* p = in.data.get();
            size_t left = in.len;
            bool full = false;
            do {
                const uint8_t* before = p;
                size_t k = TRY(dec->run(p, left, out.data.get() + out.len, kChunkSize - out.len));
                if (k == 0 && p == before && left > 0)
                    return invalid("{}: decoder made no progress", compressionName(c));
                out.len += k;
                full = out.len == kChunkSize;
                if (full) {
                    TRY(emit(std::move(out), c == Compression::Zstd));
                    out = q_.take();
                }
            } while (left > 0 || full);
            in.len = 0;
            TRY(read(in, kChunkSize));
        }
        q_.recycle(std::move(in));
        TRY(dec->finish());
        if (out.len > 0) TRY(emit(std::move(out), c == Compression::Zstd));
        return {};
    }

    const ReadFn& src_;
    ChunkQueue& q_;
    Sha256& hash_;
    const UnpackOptions& o_;
    int64_t consumed_ = 0;
    bool cancelled_ = false;
};

}  // namespace

Result<UnpackResult> unpackLayer(const ReadFn& src, const std::string& destDir,
                                 const UnpackOptions& o) {
    auto x = TRY_CTX(Extractor::create(destDir, o), "unpack into {}", destDir);
    ChunkQueue q(kQueueDepth);
    Sha256 hash;
    TarSource tar{&q, &hash, {}, 0};
    Status extracted;
    std::thread worker([&] {
        extracted = extractAll(tar, *x);
        if (!extracted) q.abort();
    });
    ScopeGuard stop([&] {
        q.abort();
        worker.join();
    });

    UnpackResult res;
    Producer p(src, q, hash, o);
    Status produced = p.run(res);
    if (produced) {
        q.close();
    } else {
        q.abort();
    }
    worker.join();
    stop.cancel();

    // A source or decompression error is the cause of whatever the worker saw after it.
    if (!produced && !p.cancelled()) return std::move(produced).error();
    if (!extracted) return std::move(extracted).error();
    if (!produced) return std::move(produced).error();
    res.diffId = hash.finish();
    res.tarSize = tar.size;
    res.unpackedSize = x->unpackedSize();
    return res;
}

}  // namespace berth::image::archive
