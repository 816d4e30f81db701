// makeCompressor and the internal decompressors: round trips, interoperability with
// libarchive's own gzip/zstd readers, multi-member gzip, truncation and garbage.
#include <gtest/gtest.h>

#include <random>

#include "image/archive/archive_test_util.h"
#include "image/archive/internal.h"

namespace berth::image::archive {
namespace {

using namespace testutil;

std::string sample(size_t n) {
    std::mt19937 rng(42);
    std::string s(n, '\0');
    // Half random, half repetitive: both paths of the codecs are used.
    for (size_t i = 0; i < n; ++i) s[i] = (i / 4096) % 2 ? static_cast<char>(rng()) : 'a' + i % 7;
    return s;
}

Result<std::string> compress(Compression c, const std::string& in, int level = -1) {
    std::string out;
    auto z = TRY(makeCompressor(
        c,
        [&](const void* d, size_t n) -> Status {
            out.append(static_cast<const char*>(d), n);
            return {};
        },
        level));
    // Uneven write sizes, some bigger than the internal buffer.
    size_t pos = 0, step = 1;
    while (pos < in.size()) {
        size_t k = std::min(step, in.size() - pos);
        TRY(z->write(in.data() + pos, k));
        pos += k;
        step = step * 3 + 1;
    }
    TRY(z->finish());
    return out;
}

// Through the decoder unpackLayer uses, fed in small pieces.
Result<std::string> decompress(Compression c, const std::string& in, size_t piece = 1000) {
    auto d = TRY(detail::makeDecompressor(c));
    std::string out;
    std::vector<uint8_t> buf(64 << 10);
    for (size_t pos = 0; pos < in.size();) {
        size_t k = std::min(piece, in.size() - pos);
        auto* p = reinterpret_cast<const uint8_t*>(in.data() + pos);
        size_t left = k;
        bool full;
        do {
            size_t n = TRY(d->run(p, left, buf.data(), buf.size()));
            out.append(reinterpret_cast<char*>(buf.data()), n);
            full = n == buf.size();
        } while (left > 0 || full);
        pos += k;
    }
    TRY(d->finish());
    return out;
}

// libarchive's independent decoder (raw format: just the decompressed bytes).
std::string libarchiveDecode(const std::string& blob) {
    struct archive* a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    EXPECT_EQ(archive_read_open_memory(a, blob.data(), blob.size()), ARCHIVE_OK);
    struct archive_entry* e;
    std::string out;
    if (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        char buf[65536];
        la_ssize_t n;
        while ((n = archive_read_data(a, buf, sizeof buf)) > 0) out.append(buf, n);
    }
    archive_read_free(a);
    return out;
}

TEST(Compress, RoundTripAllKinds) {
    std::string in = sample((3 << 20) + 333);
    for (auto c : {Compression::None, Compression::Gzip, Compression::Zstd}) {
        auto z = compress(c, in);
        ASSERT_TRUE(z.ok()) << compressionName(c) << ": " << z.error().str();
        if (c == Compression::None) {
            EXPECT_TRUE(*z == in);
            continue;
        }
        EXPECT_LT(z->size(), in.size());
        EXPECT_EQ(detail::detectCompression(reinterpret_cast<const uint8_t*>(z->data()), z->size())
                      .valueOr(Compression::None),
                  c);
        auto back = decompress(c, *z);
        ASSERT_TRUE(back.ok()) << back.error().str();
        EXPECT_TRUE(*back == in) << compressionName(c);
        EXPECT_TRUE(libarchiveDecode(*z) == in) << compressionName(c);
    }
}

TEST(Compress, EmptyInput) {
    for (auto c : {Compression::Gzip, Compression::Zstd}) {
        auto z = compress(c, "");
        ASSERT_TRUE(z.ok());
        EXPECT_FALSE(z->empty());
        auto back = decompress(c, *z);
        ASSERT_TRUE(back.ok()) << back.error().str();
        EXPECT_EQ(*back, "");
    }
}

TEST(Compress, GzipLevelsAndDeterminism) {
    std::string in = sample(1 << 20);
    auto fast = compress(Compression::Gzip, in, 1), best = compress(Compression::Gzip, in, 9);
    ASSERT_TRUE(fast.ok() && best.ok());
    EXPECT_LT(best->size(), fast->size());
    EXPECT_TRUE(*compress(Compression::Gzip, in, 1) == *fast);  // reproducible (mtime 0)
    EXPECT_FALSE(makeCompressor(Compression::Gzip, nullptr, 42).ok());
}

TEST(Compress, SinkErrorStopsTheStream) {
    auto z = makeCompressor(Compression::Gzip,
                            [](const void*, size_t) -> Status { return makeError(EPIPE, "gone"); });
    ASSERT_TRUE(z.ok());
    std::string in = sample(4 << 20);
    Status st = (*z)->write(in.data(), in.size());
    if (st) st = (*z)->finish();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, EPIPE);
}

TEST(Decompress, MultiMemberGzip) {
    auto a = compress(Compression::Gzip, "first "), b = compress(Compression::Gzip, "second");
    ASSERT_TRUE(a.ok() && b.ok());
    auto back = decompress(Compression::Gzip, *a + *b, 3);
    ASSERT_TRUE(back.ok()) << back.error().str();
    EXPECT_EQ(*back, "first second");
}

TEST(Decompress, TruncatedAndGarbage) {
    std::string in = sample(1 << 20);
    for (auto c : {Compression::Gzip, Compression::Zstd}) {
        auto z = compress(c, in);
        ASSERT_TRUE(z.ok());
        for (size_t cut : {size_t(10), z->size() / 2, z->size() - 1}) {
            auto r = decompress(c, z->substr(0, cut));
            ASSERT_FALSE(r.ok()) << compressionName(c) << " cut at " << cut;
            EXPECT_NE(r.error().str().find(compressionName(c)), std::string::npos);
        }
        auto r = decompress(c, *z + "trailing garbage");
        EXPECT_FALSE(r.ok()) << compressionName(c);
    }
}

TEST(Decompress, DetectsMagic) {
    auto detect = [](std::string_view s) {
        return detail::detectCompression(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    };
    EXPECT_EQ(detect("\x1f\x8b\x08").valueOr(Compression::None), Compression::Gzip);
    EXPECT_EQ(detect("\x28\xb5\x2f\xfd").valueOr(Compression::None), Compression::Zstd);
    EXPECT_EQ(detect("etc/passwd").valueOr(Compression::Gzip), Compression::None);
    EXPECT_FALSE(detect("BZh9").ok());
    EXPECT_FALSE(detect("\xfd"
                        "7zXZ\0")
                     .ok());
}

}  // namespace
}  // namespace berth::image::archive
