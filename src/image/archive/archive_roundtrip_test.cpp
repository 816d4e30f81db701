// writeTar -> unpackLayer round trips: the same tree comes back, and the diffID is the same
// both ways and for every compression; whiteout conversion; the writer's options.
#include <gtest/gtest.h>

#include "image/archive/archive_test_util.h"
#include "image/archive/internal.h"

namespace berth::image::archive {
namespace {

using namespace testutil;

constexpr const char* kCap =
    "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

void setTime(const std::string& p, time_t t) {
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0) << p;
}

// An overlay upper dir with one of everything.
void buildTree(const std::string& root) {
    auto p = [&](const std::string& rel) { return root + "/" + rel; };
    for (const char* d : {"etc", "bin", "opq", "opq/sub", "run", "dev", "tmp"})
        ASSERT_EQ(::mkdir(p(d).c_str(), 0755), 0);
    ASSERT_EQ(::chmod(p("tmp").c_str(), 01777), 0);
    writeAll(p("etc/hostname"), "box\n");
    writeAll(p("etc/héllo wörld"), "utf-8 name");
    writeAll(p("etc/latin1-caf\xe9"), "not utf-8");
    std::string longName = "etc/" + std::string(150, 'L');
    writeAll(p(longName), "long");
    writeAll(p("etc/owned"), "owned", 0600);
    ASSERT_EQ(::chown(p("etc/owned").c_str(), 1000, 1001), 0);
    writeAll(p("bin/su"), "su binary");
    ASSERT_EQ(::chmod(p("bin/su").c_str(), 04755), 0);
    ASSERT_EQ(::link(p("bin/su").c_str(), p("bin/su-link").c_str()), 0);
    writeAll(p("bin/ping"), "ping binary", 0755);
    ASSERT_EQ(::setxattr(p("bin/ping").c_str(), "security.capability", kCap, 20, 0), 0);
    ASSERT_EQ(::setxattr(p("bin/ping").c_str(), "user.note", "hello", 5, 0), 0);
    ASSERT_EQ(::symlink("busybox", p("bin/sh").c_str()), 0);
    ASSERT_EQ(::mkfifo(p("run/fifo").c_str(), 0600), 0);
    ASSERT_EQ(::mknod(p("dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(::chmod(p("dev/null").c_str(), 0666), 0);
    ASSERT_EQ(::mknod(p("etc/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);  // whiteout
    ASSERT_EQ(::setxattr(p("opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    writeAll(p("opq/sub/kept"), "kept");
    std::string big((5 << 20) + 77, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 5);
    writeAll(p("big"), big);
    // Times last, children before their directories.
    for (const auto& f : {std::string("etc/hostname"), std::string("etc/héllo wörld"),
                          std::string("etc/latin1-caf\xe9"), longName, std::string("etc/owned"),
                          std::string("bin/su"), std::string("bin/ping"), std::string("bin/sh"),
                          std::string("run/fifo"), std::string("dev/null"), std::string("etc/gone"),
                          std::string("opq/sub/kept"), std::string("big"), std::string("opq/sub")})
        setTime(p(f), 1600000000);
    for (const char* d : {"etc", "bin", "opq", "run", "dev", "tmp"}) setTime(p(d), 1500000000);
}

struct Blob {
    std::string data;
    SinkFn sink() {
        return [this](const void* d, size_t n) -> Status {
            data.append(static_cast<const char*>(d), n);
            return {};
        };
    }
};

struct Listed {
    std::string name;
    std::string hardlink;
    mode_t type;
};

std::vector<Listed> listTar(const std::string& blob) {
    detail::ScopedUtf8Locale utf8;  // as unpackLayer reads names
    struct archive* a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    EXPECT_EQ(archive_read_open_memory(a, blob.data(), blob.size()), ARCHIVE_OK);
    std::vector<Listed> out;
    struct archive_entry* e;
    // ARCHIVE_WARN: the name that is not UTF-8.
    for (int r; (r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN;) {
        const char* hl = archive_entry_hardlink(e);
        const char* name = archive_entry_pathname(e);
        if (!name) name = archive_entry_pathname_utf8(e);
        out.push_back({name ? name : "?", hl ? hl : "", archive_entry_filetype(e)});
    }
    archive_read_free(a);
    return out;
}

size_t indexOf(const std::vector<Listed>& l, const std::string& name) {
    for (size_t i = 0; i < l.size(); ++i)
        if (l[i].name == name) return i;
    return SIZE_MAX;
}

class RoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(RoundTrip, SameTreeAndDiffIdBothWays) {
    TempDir t;
    std::string src = t.mkdir("src"), dst = t.mkdir("dst");
    buildTree(src);
    Blob b;
    TarOptions o;
    o.fromOverlayUpper = true;
    auto w = writeTar(src, b.sink(), GetParam(), o);
    ASSERT_TRUE(w.ok()) << w.error().str();

    auto u = unpackString(b.data, dst);
    ASSERT_TRUE(u.ok()) << u.error().str();
    EXPECT_EQ(u->compression, GetParam());
    EXPECT_EQ(u->diffId, w->diffId);
    EXPECT_EQ(u->tarSize, w->tarSize);
    EXPECT_EQ(diffSnapshots(snapshot(src), snapshot(dst)), "");

    // And back again: the unpacked tree gives the very same tar.
    Blob b2;
    auto w2 = writeTar(dst, b2.sink(), GetParam(), o);
    ASSERT_TRUE(w2.ok()) << w2.error().str();
    EXPECT_EQ(w2->diffId, w->diffId);
    EXPECT_TRUE(b2.data == b.data);
}

INSTANTIATE_TEST_SUITE_P(AllCompressions, RoundTrip,
                         ::testing::Values(Compression::None, Compression::Gzip, Compression::Zstd),
                         [](const auto& info) { return std::string(compressionName(info.param)); });

TEST(WriteTar, DiffIdIsTheSameForEveryCompression) {
    TempDir t;
    std::string src = t.mkdir("src");
    buildTree(src);
    Blob plain, gz, zst;
    auto a = writeTar(src, plain.sink(), Compression::None);
    auto b = writeTar(src, gz.sink(), Compression::Gzip);
    auto c = writeTar(src, zst.sink(), Compression::Zstd);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_EQ(a->diffId, sha256Of(plain.data));
    EXPECT_EQ(a->tarSize, static_cast<int64_t>(plain.data.size()));
    EXPECT_EQ(b->diffId, a->diffId);
    EXPECT_EQ(c->diffId, a->diffId);
    EXPECT_EQ(gz.data.substr(0, 2), "\x1f\x8b");
    EXPECT_EQ(zst.data.substr(0, 4), "\x28\xb5\x2f\xfd");
    EXPECT_LT(gz.data.size(), plain.data.size());
    EXPECT_EQ(plain.data.size() % 512, 0u);
    // Xattrs in the form docker and containerd read (and only that one).
    EXPECT_NE(plain.data.find("SCHILY.xattr.security.capability="), std::string::npos);
    EXPECT_NE(plain.data.find("SCHILY.xattr.user.note=hello"), std::string::npos);
    EXPECT_EQ(plain.data.find("LIBARCHIVE.xattr"), std::string::npos);
    // UTF-8 names as plain pax paths (as Go writes them); only the invalid one is BINARY.
    EXPECT_NE(plain.data.find("path=etc/héllo wörld\n"), std::string::npos);
    size_t binary = plain.data.find("hdrcharset=BINARY");
    ASSERT_NE(binary, std::string::npos);
    EXPECT_EQ(plain.data.find("hdrcharset=BINARY", binary + 1), std::string::npos);
    EXPECT_EQ(plain.data.find("trusted.overlay"), std::string::npos);
    // Whole-second times: no pax mtime/atime/ctime records.
    EXPECT_EQ(plain.data.find(" mtime="), std::string::npos);
    EXPECT_EQ(plain.data.find(" atime="), std::string::npos);
}

TEST(WriteTar, OverlayUpperEntries) {
    TempDir t;
    std::string src = t.mkdir("src");
    buildTree(src);
    Blob b;
    TarOptions o;
    o.fromOverlayUpper = true;
    ASSERT_TRUE(writeTar(src, b.sink(), Compression::None, o).ok());
    auto l = listTar(b.data);
    size_t wh = indexOf(l, "etc/.wh.gone");
    ASSERT_NE(wh, SIZE_MAX);
    EXPECT_EQ(l[wh].type, AE_IFREG);
    EXPECT_EQ(indexOf(l, "etc/gone"), SIZE_MAX);
    size_t opqDir = indexOf(l, "opq/"), opq = indexOf(l, "opq/.wh..wh..opq");
    ASSERT_NE(opq, SIZE_MAX);
    EXPECT_EQ(opq, opqDir + 1);  // right after its directory
    size_t link = indexOf(l, "bin/su-link");
    ASSERT_NE(link, SIZE_MAX);
    EXPECT_EQ(l[link].hardlink, "bin/su");
    EXPECT_LT(indexOf(l, "bin/su"), link);
    // Sorted, directories before their content.
    EXPECT_LT(indexOf(l, "big"), indexOf(l, "bin/"));
    EXPECT_LT(indexOf(l, "bin/"), indexOf(l, "bin/ping"));
    EXPECT_EQ(indexOf(l, "./"), SIZE_MAX);

    // Flattened, the same tar deletes instead.
    std::string flat = t.mkdir("flat");
    ASSERT_EQ(::mkdir((flat + "/etc").c_str(), 0755), 0);
    writeAll(flat + "/etc/gone", "from an older layer");
    ASSERT_EQ(::mkdir((flat + "/opq").c_str(), 0755), 0);
    writeAll(flat + "/opq/old", "old");
    UnpackOptions uo;
    uo.overlayWhiteouts = false;
    auto u = unpackString(b.data, flat, uo);
    ASSERT_TRUE(u.ok()) << u.error().str();
    EXPECT_FALSE(lexists(flat + "/etc/gone"));
    EXPECT_FALSE(lexists(flat + "/opq/old"));
    EXPECT_EQ(readAll(flat + "/opq/sub/kept"), "kept");
    EXPECT_EQ(readAll(flat + "/etc/hostname"), "box\n");
}

TEST(WriteTar, PlainTreeKeepsDevicesAndDropsOverlayXattrs) {
    TempDir t;
    std::string src = t.mkdir("src"), dst = t.mkdir("dst");
    buildTree(src);
    Blob b;
    ASSERT_TRUE(writeTar(src, b.sink(), Compression::None).ok());
    auto l = listTar(b.data);
    ASSERT_NE(indexOf(l, "etc/gone"), SIZE_MAX);
    EXPECT_EQ(l[indexOf(l, "etc/gone")].type, AE_IFCHR);
    EXPECT_EQ(indexOf(l, "opq/.wh..wh..opq"), SIZE_MAX);
    ASSERT_TRUE(unpackString(b.data, dst).ok());
    char v[4];
    EXPECT_LT(::getxattr((dst + "/opq").c_str(), "trusted.overlay.opaque", v, sizeof v), 0);
    struct stat st;
    ASSERT_EQ(::lstat((dst + "/etc/gone").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(WriteTar, Options) {
    TempDir t;
    std::string src = t.mkdir("src");
    buildTree(src);
    Blob b;
    TarOptions o;
    std::vector<std::pair<std::string, bool>> asked;
    o.exclude = [&](const std::string& rel, bool isDir) {
        asked.emplace_back(rel, isDir);
        return rel == "big" || rel == "tmp" || rel == "bin/su";
    };
    o.uid = 42;
    o.gid = 43;
    o.prefix = "rootfs";
    ASSERT_TRUE(writeTar(src, b.sink(), Compression::None, o).ok());
    auto l = listTar(b.data);
    ASSERT_FALSE(l.empty());
    EXPECT_EQ(l[0].name, "rootfs/");
    for (const auto& e : l) EXPECT_TRUE(e.name.starts_with("rootfs/")) << e.name;
    EXPECT_EQ(indexOf(l, "rootfs/big"), SIZE_MAX);
    EXPECT_EQ(indexOf(l, "rootfs/tmp/"), SIZE_MAX);
    // The first name of a hardlinked pair was left out: the other one carries the data.
    size_t link = indexOf(l, "rootfs/bin/su-link");
    ASSERT_NE(link, SIZE_MAX);
    EXPECT_EQ(l[link].hardlink, "");
    EXPECT_NE(std::find(asked.begin(), asked.end(), std::pair<std::string, bool>{"tmp", true}),
              asked.end());

    TempDir out;
    ASSERT_TRUE(unpackString(b.data, out.path()).ok());
    struct stat st;
    ASSERT_EQ(::lstat((out.path() + "/rootfs/etc/owned").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 42u);
    EXPECT_EQ(st.st_gid, 43u);
    EXPECT_EQ(readAll(out.path() + "/rootfs/bin/su-link"), "su binary");
}

TEST(WriteTar, SinkErrorIsReturned) {
    TempDir t;
    std::string src = t.mkdir("src");
    buildTree(src);
    size_t calls = 0;
    auto r = writeTar(
        src,
        [&](const void*, size_t) -> Status {
            if (++calls == 2) return makeError(ENOSPC, "disk full");
            return {};
        },
        Compression::None);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("disk full"), std::string::npos) << r.error().str();
    EXPECT_EQ(r.error().code, ENOSPC);
}

TEST(WriteTar, MissingDirFails) {
    Blob b;
    EXPECT_FALSE(writeTar("/nonexistent-berth-dir", b.sink(), Compression::None).ok());
}

}  // namespace
}  // namespace berth::image::archive
