// Streaming compressors (gzip through zlib, zstd through libzstd) and a buffered pass-through,
// each pushing big blocks to a sink.
#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include "image/archive/internal.h"

namespace berth::image::archive {

std::string_view compressionName(Compression c) {
    return c == Compression::Gzip ? "gzip" : c == Compression::Zstd ? "zstd" : "none";
}

namespace {

using detail::kChunkSize;

// Collects output in one big buffer so the sink sees few large writes.
class OutBuffer {
  public:
    explicit OutBuffer(SinkFn out) : out_(std::move(out)), buf_(new uint8_t[kChunkSize]) {}
    uint8_t* room() { return buf_.get() + len_; }
    size_t roomSize() const { return kChunkSize - len_; }
    void produced(size_t n) { len_ += n; }
    bool empty() const { return len_ == 0; }
    Status flushIfFull() { return len_ == kChunkSize ? flush() : okStatus(); }
    Status flush() {
        if (len_ == 0) return {};
        size_t n = std::exchange(len_, 0);
        return out_(buf_.get(), n);
    }

  private:
    SinkFn out_;
    std::unique_ptr<uint8_t[]> buf_;
    size_t len_ = 0;
};

class PassThrough final : public Compressor {
  public:
    explicit PassThrough(SinkFn out) : out_(out), buf_(std::move(out)) {}
    Status write(const void* data, size_t n) override {
        auto* p = static_cast<const uint8_t*>(data);
        while (n > 0) {
            // Large writes skip the copy when nothing is pending.
            if (buf_.empty() && n >= kChunkSize) return out_(p, n);
            size_t k = std::min(n, buf_.roomSize());
            std::memcpy(buf_.room(), p, k);
            buf_.produced(k);
            TRY(buf_.flushIfFull());
            p += k;
            n -= k;
        }
        return {};
    }
    Status finish() override { return buf_.flush(); }

  private:
    SinkFn out_;
    OutBuffer buf_;
};

class GzipCompressor final : public Compressor {
  public:
    explicit GzipCompressor(SinkFn out) : buf_(std::move(out)) {}
    ~GzipCompressor() override {
        if (init_) deflateEnd(&z_);
    }
    Status init(int level) {
        // windowBits 15 + 16: gzip framing (header with mtime 0: the output is reproducible).
        if (deflateInit2(&z_, level < 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return invalid("gzip: bad compression level {}", level);
        init_ = true;
        return {};
    }
    Status write(const void* data, size_t n) override {
        return pump(static_cast<const uint8_t*>(data), n, Z_NO_FLUSH);
    }
    Status finish() override {
        TRY(pump(nullptr, 0, Z_FINISH));
        return buf_.flush();
    }

  private:
    Status pump(const uint8_t* p, size_t n, int flush) {
        z_.next_in = const_cast<Bytef*>(p);
        z_.avail_in = static_cast<uInt>(n);
        for (;;) {
            z_.next_out = buf_.room();
            z_.avail_out = static_cast<uInt>(buf_.roomSize());
            int r = deflate(&z_, flush);
            buf_.produced(buf_.roomSize() - z_.avail_out);
            if (r == Z_STREAM_ERROR) return invalid("gzip: deflate failed");
            TRY(buf_.flushIfFull());
            if (flush == Z_FINISH ? r == Z_STREAM_END : z_.avail_in == 0 && z_.avail_out > 0)
                return {};
        }
    }

    OutBuffer buf_;
    z_stream z_{};
    bool init_ = false;
};

class ZstdCompressor final : public Compressor {
  public:
    explicit ZstdCompressor(SinkFn out) : buf_(std::move(out)), cs_(ZSTD_createCCtx()) {}
    ~ZstdCompressor() override { ZSTD_freeCCtx(cs_); }
    Status init(int level) {
        if (!cs_) return invalid("zstd: cannot create a compression context");
        size_t r = ZSTD_CCtx_setParameter(cs_, ZSTD_c_compressionLevel,
                                          level < 0 ? ZSTD_CLEVEL_DEFAULT : level);
        if (ZSTD_isError(r)) return invalid("zstd: level {}: {}", level, ZSTD_getErrorName(r));
        ZSTD_CCtx_setParameter(cs_, ZSTD_c_checksumFlag, 1);
        return {};
    }
    Status write(const void* data, size_t n) override { return pump(data, n, ZSTD_e_continue); }
    Status finish() override {
        TRY(pump(nullptr, 0, ZSTD_e_end));
        return buf_.flush();
    }

  private:
    Status pump(const void* p, size_t n, ZSTD_EndDirective mode) {
        ZSTD_inBuffer ib{p, n, 0};
        for (;;) {
            ZSTD_outBuffer ob{buf_.room(), buf_.roomSize(), 0};
            size_t left = ZSTD_compressStream2(cs_, &ob, &ib, mode);
            if (ZSTD_isError(left)) return invalid("zstd: {}", ZSTD_getErrorName(left));
            buf_.produced(ob.pos);
            TRY(buf_.flushIfFull());
            if (mode == ZSTD_e_end ? left == 0 : ib.pos == ib.size) return {};
        }
    }

    OutBuffer buf_;
    ZSTD_CCtx* cs_;
};

}  // namespace

Result<std::unique_ptr<Compressor>> makeCompressor(Compression c, SinkFn out, int level) {
    switch (c) {
        case Compression::None:
            return std::unique_ptr<Compressor>(new PassThrough(std::move(out)));
        case Compression::Gzip: {
            auto z = std::make_unique<GzipCompressor>(std::move(out));
            TRY(z->init(level));
            return std::unique_ptr<Compressor>(std::move(z));
        }
        case Compression::Zstd: {
            auto z = std::make_unique<ZstdCompressor>(std::move(out));
            TRY(z->init(level));
            return std::unique_ptr<Compressor>(std::move(z));
        }
    }
    return invalid("unknown compression {}", static_cast<int>(c));
}

}  // namespace berth::image::archive
