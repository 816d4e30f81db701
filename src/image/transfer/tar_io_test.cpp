// TarWriter -> TarReader round trips, outer compression, path normalisation, and source
// errors surfacing through libarchive.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "image/transfer/tar_reader.h"
#include "image/transfer/tar_writer.h"

namespace berth::image::transfer {
namespace {

archive::ReadFn stringReader(std::string data, size_t chunk = 7) {
    auto pos = std::make_shared<size_t>(0);
    return [data = std::move(data), pos, chunk](void* buf, size_t n) -> Result<size_t> {
        n = std::min({n, chunk, data.size() - *pos});
        std::memcpy(buf, data.data() + *pos, n);
        *pos += n;
        return n;
    };
}

std::string gzipOf(const std::string& in) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&z, in.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string sampleTar() {
    std::string out;
    auto w = TarWriter::open([&out](const void* p, size_t n) -> Status {
        out.append(static_cast<const char*>(p), n);
        return {};
    });
    EXPECT_TRUE(w);
    EXPECT_TRUE((*w)->addDir("blobs"));
    EXPECT_TRUE((*w)->addFile("manifest.json", "[]\n"));
    std::string big(300000, 'x');
    EXPECT_TRUE(
        (*w)->addStream("blobs/big", static_cast<int64_t>(big.size()), stringReader(big, 4096)));
    EXPECT_TRUE((*w)->addSymlink("abc/layer.tar", "../blobs/big"));
    EXPECT_TRUE((*w)->close());
    return out;
}

struct Seen {
    std::vector<std::string> names;
    std::map<std::string, std::string> data;
    std::map<std::string, std::string> links;
};

Seen readAll(archive::ReadFn src) {
    Seen s;
    auto r = TarReader::open(std::move(src));
    EXPECT_TRUE(r) << (r ? "" : r.error().str());
    if (!r) return s;
    while (true) {
        auto e = (*r)->next();
        EXPECT_TRUE(e) << (e ? "" : e.error().str());
        if (!e || !*e) break;
        s.names.push_back((*e)->name);
        if ((*e)->type == TarEntry::Type::File) s.data[(*e)->name] = *(*r)->readAll(1 << 20);
        if ((*e)->type == TarEntry::Type::Symlink) s.links[(*e)->name] = (*e)->link;
    }
    return s;
}

TEST(TarIo, RoundTrip) {
    auto tar = sampleTar();
    EXPECT_EQ(tar.size() % 512, 0u);
    auto s = readAll(stringReader(tar));
    EXPECT_EQ(s.names,
              (std::vector<std::string>{"blobs", "manifest.json", "blobs/big", "abc/layer.tar"}));
    EXPECT_EQ(s.data["manifest.json"], "[]\n");
    EXPECT_EQ(s.data["blobs/big"], std::string(300000, 'x'));
    EXPECT_EQ(s.links["abc/layer.tar"], "../blobs/big");
}

TEST(TarIo, GzipOuterAndDecompressor) {
    auto tar = sampleTar();
    auto gz = gzipOf(tar);
    auto s = readAll(stringReader(gz, 1000));
    EXPECT_EQ(s.data["blobs/big"].size(), 300000u);

    auto rd = decompressingReader(stringReader(gz, 333));
    ASSERT_TRUE(rd);
    std::string out;
    char buf[4096];
    while (true) {
        auto n = (*rd)(buf, sizeof buf);
        ASSERT_TRUE(n);
        if (*n == 0) break;
        out.append(buf, *n);
    }
    EXPECT_EQ(out, tar);
    // Plain data passes through unchanged.
    rd = decompressingReader(stringReader("plain bytes, not compressed"));
    ASSERT_TRUE(rd);
    auto n = (*rd)(buf, sizeof buf);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buf, *n), "plain bytes, not compressed");
}

TEST(TarIo, SourceErrorIsReported) {
    auto tar = sampleTar();
    auto pos = std::make_shared<size_t>(0);
    archive::ReadFn failing = [tar, pos](void* buf, size_t n) -> Result<size_t> {
        if (*pos >= 2048) return makeError(EIO, "disk on fire");
        n = std::min<size_t>(n, 512);
        std::memcpy(buf, tar.data() + *pos, n);
        *pos += n;
        return n;
    };
    auto r = TarReader::open(failing);
    ASSERT_TRUE(r);
    Status st;
    while (true) {
        auto e = (*r)->next();
        if (!e) {
            st = e.error();
            break;
        }
        if (!*e) break;
        if (auto d = (*r)->readAll(1 << 20); !d) {
            st = d.error();
            break;
        }
    }
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().str().find("disk on fire"), std::string::npos) << st.error().str();
}

TEST(TarIo, NotATar) {
    auto r = TarReader::open(stringReader(std::string(4000, 'z')));
    bool failed = !r;
    if (r) failed = !(*r)->next();
    EXPECT_TRUE(failed);
}

TEST(TarIo, NormalizePath) {
    EXPECT_EQ(normalizeArchivePath("./manifest.json"), "manifest.json");
    EXPECT_EQ(normalizeArchivePath("/abc//layer.tar"), "abc/layer.tar");
    EXPECT_EQ(normalizeArchivePath("abc/../blobs/sha256/x"), "blobs/sha256/x");
    EXPECT_EQ(normalizeArchivePath("blobs/"), "blobs");
    EXPECT_EQ(normalizeArchivePath("../etc/passwd"), "");
}

}  // namespace
}  // namespace berth::image::transfer
