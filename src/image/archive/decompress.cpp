// Compression detection and streaming decompression (zlib inflate, libzstd), done by us rather
// than by libarchive so the uncompressed stream can be hashed on its way to the tar reader.
#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include "image/archive/internal.h"

namespace berth::image::archive::detail {

Result<Compression> detectCompression(const uint8_t* p, size_t n) {
    auto starts = [&](std::string_view magic) {
        return n >= magic.size() && std::memcmp(p, magic.data(), magic.size()) == 0;
    };
    if (starts("\x1f\x8b")) return Compression::Gzip;
    if (starts("\x28\xb5\x2f\xfd")) return Compression::Zstd;
    if (starts("BZh")) return invalid("bzip2-compressed layers are not supported");
    if (starts("\xfd"
               "7zXZ"))
        return invalid("xz-compressed layers are not supported");
    return Compression::None;
}

namespace {

class GzipDecompressor final : public Decompressor {
  public:
    GzipDecompressor() = default;
    ~GzipDecompressor() override {
        if (init_) inflateEnd(&z_);
    }
    Status init() {
        // 15 + 16: a zlib window of 32 KiB, gzip framing only.
        if (inflateInit2(&z_, 15 + 16) != Z_OK) return invalid("gzip: inflateInit2 failed");
        init_ = true;
        return {};
    }

    Result<size_t> run(const uint8_t*& in, size_t& inLen, uint8_t* out, size_t outCap) override {
        z_.next_in = const_cast<Bytef*>(in);
        z_.avail_in = static_cast<uInt>(std::min<size_t>(inLen, UINT32_MAX));
        z_.next_out = out;
        z_.avail_out = static_cast<uInt>(std::min<size_t>(outCap, UINT32_MAX));
        uInt availIn0 = z_.avail_in;
        Status st;
        for (;;) {
            if (betweenMembers_) {
                // A gzip file may hold several members back to back (pigz, cat a.gz b.gz);
                // anything else after a member fails the header check below.
                if (z_.avail_in == 0) break;
                inflateReset(&z_);
                betweenMembers_ = false;
            }
            int r = inflate(&z_, Z_NO_FLUSH);
            if (r == Z_STREAM_END) {
                betweenMembers_ = true;
                ++members_;
                if (z_.avail_out == 0) break;
                continue;
            }
            if (r == Z_BUF_ERROR) break;  // needs more input or more room
            if (r != Z_OK) {
                st = invalid("gzip: {}{}", z_.msg ? z_.msg : "corrupt data",
                             members_ ? " (after a complete member)" : "");
                break;
            }
            if (z_.avail_out == 0 || z_.avail_in == 0) break;
        }
        size_t used = availIn0 - z_.avail_in;
        in += used;
        inLen -= used;
        if (!st) return std::move(st).error();
        return outCap - z_.avail_out;
    }

    Status finish() override {
        if (!betweenMembers_ || members_ == 0)
            return invalid("gzip: unexpected end of data (truncated stream)");
        return {};
    }

  private:
    z_stream z_{};
    bool init_ = false;
    bool betweenMembers_ = false;
    int members_ = 0;
};

class ZstdDecompressor final : public Decompressor {
  public:
    ZstdDecompressor() : ds_(ZSTD_createDStream()) {}
    ~ZstdDecompressor() override { ZSTD_freeDStream(ds_); }
    Status init() {
        if (!ds_) return invalid("zstd: cannot create a decompression context");
        ZSTD_initDStream(ds_);
        return {};
    }

    Result<size_t> run(const uint8_t*& in, size_t& inLen, uint8_t* out, size_t outCap) override {
        ZSTD_inBuffer ib{in, inLen, 0};
        ZSTD_outBuffer ob{out, outCap, 0};
        while (ob.pos < ob.size) {
            size_t r = ZSTD_decompressStream(ds_, &ob, &ib);
            if (ZSTD_isError(r)) return invalid("zstd: {}", ZSTD_getErrorName(r));
            last_ = r;
            sawInput_ = sawInput_ || ib.pos > 0;
            // Output not full with all input used: everything decodable has been flushed.
            if (ib.pos == ib.size) break;
        }
        in += ib.pos;
        inLen -= ib.pos;
        return ob.pos;
    }

    Status finish() override {
        // ZSTD_decompressStream returns 0 exactly when a frame is complete and flushed.
        if (!sawInput_ || last_ != 0)
            return invalid("zstd: unexpected end of data (truncated stream)");
        return {};
    }

  private:
    ZSTD_DStream* ds_;
    size_t last_ = 1;
    bool sawInput_ = false;
};

}  // namespace

Result<std::unique_ptr<Decompressor>> makeDecompressor(Compression c) {
    switch (c) {
        case Compression::Gzip: {
            auto d = std::make_unique<GzipDecompressor>();
            TRY(d->init());
            return std::unique_ptr<Decompressor>(std::move(d));
        }
        case Compression::Zstd: {
            auto d = std::make_unique<ZstdDecompressor>();
            TRY(d->init());
            return std::unique_ptr<Decompressor>(std::move(d));
        }
        case Compression::None:
            break;
    }
    return invalid("no decompressor for uncompressed data");
}

}  // namespace berth::image::archive::detail
