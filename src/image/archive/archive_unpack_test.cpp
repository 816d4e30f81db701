// unpackLayer on tars written by libarchive: every entry type and attribute, compression
// detection, the diffID, whiteouts in both modes, replacement rules, broken streams.
#include <gtest/gtest.h>

#include "image/archive/archive_test_util.h"

namespace berth::image::archive {
namespace {

using namespace testutil;

struct stat lstatOf(const std::string& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) < 0) ADD_FAILURE() << "lstat " << p << ": " << strerror(errno);
    return st;
}

std::string xattrOf(const std::string& p, const char* name) {
    char v[256];
    ssize_t n = ::lgetxattr(p.c_str(), name, v, sizeof v);
    return n < 0 ? "<none>" : std::string(v, static_cast<size_t>(n));
}

std::vector<TarEntry> allKinds() {
    TarEntry owned = file("etc/owned", "x", 0640);
    owned.uid = 1000;
    owned.gid = 2000;
    TarEntry suid = file("bin/su", "su", 04755);
    TarEntry ping = file("bin/ping", "ping", 0755);
    // VFS_CAP_REVISION_2, cap_net_raw (bit 13) permitted + effective.
    std::string cap(
        "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
    ping.xattrs = {{"security.capability", cap}, {"user.note", "hello"}};
    TarEntry tmp = dir("tmp/", 01777);
    tmp.mtime = 1500000000;
    TarEntry null;
    null.name = "dev/null";
    null.type = 'c';
    null.devMajor = 1;
    null.devMinor = 3;
    null.mode = 0666;
    TarEntry loop;
    loop.name = "dev/loop0";
    loop.type = 'b';
    loop.devMajor = 7;
    loop.devMinor = 0;
    loop.mode = 0660;
    TarEntry fifo;
    fifo.name = "run/fifo";
    fifo.type = 'p';
    fifo.mode = 0600;
    TarEntry big = file("big", std::string((3 << 20) + 12345, 'z'));
    for (size_t i = 0; i < big.data.size(); i += 4093) big.data[i] = static_cast<char>(i);
    return {dir("etc/"),
            file("etc/hostname", "box\n"),
            owned,
            dir("bin/"),
            suid,
            ping,
            symlink("bin/sh", "busybox"),
            hardlink("bin/su2", "bin/su"),
            tmp,
            file("tmp/inside", "i"),
            dir("dev/"),
            null,
            loop,
            dir("run/"),
            fifo,
            big};
}

TEST(Unpack, AllEntryKinds) {
    TempDir t;
    std::string tar = makeTar(allKinds());
    auto r = unpackString(tar, t.path());
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->compression, Compression::None);
    EXPECT_EQ(r->diffId, sha256Of(tar));
    EXPECT_EQ(r->tarSize, static_cast<int64_t>(tar.size()));
    std::string p = t.path() + "/";

    EXPECT_EQ(readAll(p + "etc/hostname"), "box\n");
    auto st = lstatOf(p + "etc/owned");
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 2000u);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(lstatOf(p + "bin/su").st_mode & 07777, 04755u);
    EXPECT_EQ(xattrOf(p + "bin/ping", "user.note"), "hello");
    EXPECT_EQ(xattrOf(p + "bin/ping", "security.capability").size(), 20u);
    EXPECT_EQ(sys::readlink(p + "bin/sh").valueOr(""), "busybox");
    EXPECT_EQ(lstatOf(p + "bin/su2").st_ino, lstatOf(p + "bin/su").st_ino);
    st = lstatOf(p + "tmp");
    EXPECT_EQ(st.st_mode & 07777, 01777u);
    // Set after its content was written.
    EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
    st = lstatOf(p + "dev/null");
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
    EXPECT_EQ(st.st_mode & 07777, 0666u);
    st = lstatOf(p + "dev/loop0");
    EXPECT_TRUE(S_ISBLK(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(7, 0));
    EXPECT_TRUE(S_ISFIFO(lstatOf(p + "run/fifo").st_mode));
    EXPECT_EQ(lstatOf(p + "etc/hostname").st_mtim.tv_sec, 1600000000);
    EXPECT_EQ(readAll(p + "big"), allKinds().back().data);
    // Regular files' bytes (hardlinks count once: no data of their own).
    EXPECT_EQ(r->unpackedSize, int64_t(4 + 1 + 2 + 4 + 1 + allKinds().back().data.size()));
}

TEST(Unpack, WithoutOwnership) {
    TempDir t;
    TarEntry owned = file("f", "x");
    owned.uid = 1000;
    UnpackOptions o;
    o.preserveOwnership = false;
    ASSERT_TRUE(unpackString(makeTar({owned}), t.path(), o).ok());
    EXPECT_EQ(lstatOf(t.path() + "/f").st_uid, ::geteuid());
}

TEST(Unpack, DetectsGzipAndZstd) {
    auto entries = allKinds();
    std::string plain = makeTar(entries);
    TempDir plainDir;
    ASSERT_TRUE(unpackString(plain, plainDir.path()).ok());
    for (auto [filter, kind] : {std::pair{ARCHIVE_FILTER_GZIP, Compression::Gzip},
                                std::pair{ARCHIVE_FILTER_ZSTD, Compression::Zstd}}) {
        TempDir t;
        std::string blob = makeTar(entries, filter);
        ASSERT_NE(blob, plain);
        int64_t progress = 0;
        UnpackOptions o;
        o.onProgress = [&](int64_t n) { progress = n; };
        // Small reads: the decoders must cope with input split anywhere.
        auto r = unpackLayer(memSource(blob, 777), t.path(), o);
        ASSERT_TRUE(r.ok()) << compressionName(kind) << ": " << r.error().str();
        EXPECT_EQ(r->compression, kind);
        EXPECT_EQ(r->diffId, sha256Of(plain));
        EXPECT_EQ(r->tarSize, static_cast<int64_t>(plain.size()));
        EXPECT_EQ(progress, static_cast<int64_t>(blob.size()));
        EXPECT_EQ(diffSnapshots(snapshot(t.path()), snapshot(plainDir.path())), "");
    }
}

TEST(Unpack, DiffIdCoversTrailingBytes) {
    TempDir t;
    std::string tar = makeTar({file("a", "a")}) + std::string(10240, '\0');
    auto r = unpackString(tar, t.path());
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->diffId, sha256Of(tar));
    EXPECT_EQ(r->tarSize, static_cast<int64_t>(tar.size()));
}

TEST(Unpack, TruncatedGzipFailsCleanly) {
    std::string gz = makeTar(allKinds(), ARCHIVE_FILTER_GZIP);
    for (size_t cut : {gz.size() - 4, gz.size() / 2, size_t(30)}) {
        TempDir t;
        auto r = unpackString(gz.substr(0, cut), t.path());
        ASSERT_FALSE(r.ok()) << "cut at " << cut;
        EXPECT_NE(r.error().str().find("gzip"), std::string::npos) << r.error().str();
    }
    TempDir t;
    std::string bad = gz;
    bad[bad.size() / 2] ^= 0x55;
    bad[bad.size() / 2 + 1] ^= 0x55;
    EXPECT_FALSE(unpackString(bad, t.path()).ok());
}

TEST(Unpack, TruncatedZstdAndTarFail) {
    std::string zst = makeTar(allKinds(), ARCHIVE_FILTER_ZSTD);
    TempDir t;
    auto r = unpackString(zst.substr(0, zst.size() / 2), t.path());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("zstd"), std::string::npos) << r.error().str();

    std::string tar = makeTar(allKinds());
    TempDir t2;
    r = unpackString(tar.substr(0, tar.size() / 2), t2.path());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("runcated"), std::string::npos) << r.error().str();
}

TEST(Unpack, RejectsEmptyAndUnsupported) {
    TempDir t;
    EXPECT_FALSE(unpackString("", t.path()).ok());
    auto r = unpackString("BZh91AY&SY garbage", t.path());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("bzip2"), std::string::npos);
    EXPECT_FALSE(unpackString(std::string(600, 'x'), t.path()).ok());
}

TEST(Unpack, SourceErrorIsReported) {
    TempDir t;
    std::string tar = makeTar(allKinds());
    size_t calls = 0;
    ReadFn src = [&](void* buf, size_t n) -> Result<size_t> {
        if (++calls == 3) return makeError(ECONNRESET, "registry went away");
        size_t k = std::min<size_t>(n, 1000);
        std::memcpy(buf, tar.data() + (calls - 1) * 1000, k);
        return k;
    };
    auto r = unpackLayer(src, t.path());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("registry went away"), std::string::npos) << r.error().str();
}

TEST(Unpack, ExtractionErrorStopsReading) {
    // A bad entry first, then 40 MB: the error comes back without the rest being read.
    std::vector<TarEntry> es{file("../x", "bad")};
    for (int i = 0; i < 40; ++i)
        es.push_back(file("f" + std::to_string(i), std::string(1 << 20, 'f')));
    std::string tar = makeTar(es);
    size_t pos = 0;
    ReadFn src = [&](void* buf, size_t n) -> Result<size_t> {
        size_t k = std::min(n, tar.size() - pos);
        std::memcpy(buf, tar.data() + pos, k);
        pos += k;
        return k;
    };
    TempDir t;
    auto r = unpackLayer(src, t.path());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("entry ../x"), std::string::npos) << r.error().str();
    EXPECT_LT(pos, tar.size() / 2);
}

TEST(Unpack, ReplacementRules) {
    TempDir t;
    std::string p = t.path() + "/";
    // A later entry of another type replaces the earlier one; dir over dir keeps content.
    TarEntry d2 = dir("d/", 0700);
    d2.uid = 5;
    auto r = unpackString(
        makeTar({file("a", "file"), dir("a/"), file("a/in", "in"), dir("b/"), file("b/x", "x"),
                 file("b", "now a file"), dir("d/"), file("d/keep", "k"), d2, file("h", "old"),
                 hardlink("h2", "h"), file("h2", "new")}),
        t.path());
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_TRUE(S_ISDIR(lstatOf(p + "a").st_mode));
    EXPECT_EQ(readAll(p + "a/in"), "in");
    EXPECT_EQ(readAll(p + "b"), "now a file");
    EXPECT_EQ(readAll(p + "d/keep"), "k");
    auto st = lstatOf(p + "d");
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(st.st_uid, 5u);
    // Rewriting one name of a hardlinked pair does not change the other.
    EXPECT_EQ(readAll(p + "h"), "old");
    EXPECT_EQ(readAll(p + "h2"), "new");
}

TEST(Unpack, RootEntryLeavesTheRootAlone) {
    TempDir t;
    ASSERT_EQ(::chmod(t.path().c_str(), 0755), 0);
    TarEntry root = dir("./", 0700);
    root.uid = 99;
    ASSERT_TRUE(unpackString(makeTar({root, file("./f", "f")}), t.path()).ok());
    auto st = lstatOf(t.path());
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(readAll(t.path() + "/f"), "f");
}

TEST(Unpack, MissingParentsAreCreated) {
    TempDir t;
    ASSERT_TRUE(unpackString(makeTar({file("a/b/c/d", "deep")}), t.path()).ok());
    EXPECT_EQ(readAll(t.path() + "/a/b/c/d"), "deep");
    EXPECT_TRUE(S_ISDIR(lstatOf(t.path() + "/a/b").st_mode));
}

TEST(Unpack, OverlayWhiteouts) {
    TempDir t;
    std::string p = t.path() + "/";
    TarEntry wh = file("etc/.wh.gone", "");
    wh.uid = 7;
    auto r = unpackString(
        makeTar({dir("etc/"), file("etc/gone", "x"), wh, dir("opq/"), file("opq/.wh..wh..opq", ""),
                 file("opq/new", "n"), file(".wh..wh..plnk", "")}),
        t.path());
    ASSERT_TRUE(r.ok()) << r.error().str();
    auto st = lstatOf(p + "etc/gone");
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(0, 0));
    EXPECT_EQ(st.st_uid, 7u);
    EXPECT_FALSE(lexists(p + "etc/.wh.gone"));
    EXPECT_EQ(xattrOf(p + "opq", "trusted.overlay.opaque"), "y");
    EXPECT_FALSE(lexists(p + "opq/.wh..wh..opq"));
    EXPECT_EQ(readAll(p + "opq/new"), "n");
    EXPECT_FALSE(lexists(p + ".wh..wh..plnk"));
}

TEST(Unpack, FlattenWhiteouts) {
    TempDir t;
    std::string p = t.path() + "/";
    UnpackOptions o;
    o.overlayWhiteouts = false;
    ASSERT_TRUE(unpackString(makeTar({dir("etc/"), file("etc/gone", "x"), dir("etc/sub/"),
                                      file("etc/sub/y", "y"), dir("opq/"), file("opq/old", "o"),
                                      dir("opq/olddir/"), file("opq/olddir/f", "f"),
                                      dir("opq/kept/"), file("opq/kept/old", "o")}),
                             t.path(), o)
                    .ok());
    // Layer 2: deletes a file and a dir, makes opq opaque after writing opq/early.
    auto r =
        unpackString(makeTar({file("etc/.wh.gone", ""), file("etc/.wh.sub", ""),
                              file("opq/early", "e"), dir("opq/kept/"), file("opq/kept/new", "n"),
                              file("opq/.wh..wh..opq", ""), file("etc/.wh.never-existed", "")}),
                     t.path(), o);
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_FALSE(lexists(p + "etc/gone"));
    EXPECT_FALSE(lexists(p + "etc/sub"));
    EXPECT_TRUE(lexists(p + "etc"));
    EXPECT_FALSE(lexists(p + "opq/old"));
    EXPECT_FALSE(lexists(p + "opq/olddir"));
    EXPECT_EQ(readAll(p + "opq/early"), "e");
    EXPECT_EQ(readAll(p + "opq/kept/new"), "n");
    EXPECT_FALSE(lexists(p + "opq/kept/old"));
    EXPECT_EQ(xattrOf(p + "opq", "trusted.overlay.opaque"), "<none>");
    EXPECT_FALSE(lexists(p + "etc/.wh.gone"));
}

TEST(Unpack, SparseFile) {
    // A PAX sparse entry: data at 0 and at 1 MiB + 5, a hole between.
    struct archive* a = archive_write_new();
    archive_write_set_format_pax(a);
    std::string tar;
    archive_write_open(
        a, &tar, nullptr,
        [](struct archive*, void* ud, const void* b, size_t n) -> la_ssize_t {
            static_cast<std::string*>(ud)->append(static_cast<const char*>(b), n);
            return static_cast<la_ssize_t>(n);
        },
        nullptr);
    struct archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, "sparse");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (2 << 20));
    archive_entry_sparse_add_entry(e, 0, 4);
    archive_entry_sparse_add_entry(e, (1 << 20) + 5, 3);
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    // libarchive takes the logical content and drops the holes itself.
    std::string want(2 << 20, '\0');
    want.replace(0, 4, "head");
    want.replace((1 << 20) + 5, 3, "tai");
    archive_write_data(a, want.data(), want.size());
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);

    TempDir t;
    auto r = unpackString(tar, t.path());
    ASSERT_TRUE(r.ok()) << r.error().str();
    std::string got = readAll(t.path() + "/sparse");
    ASSERT_LT(tar.size(), size_t(1 << 20));  // the hole is not in the tar
    ASSERT_EQ(got.size(), size_t(2 << 20));
    EXPECT_TRUE(got == want);
    struct stat st = lstatOf(t.path() + "/sparse");
    EXPECT_LT(st.st_blocks * 512, 1 << 20);  // and not allocated on disk
}

// A 512-byte ustar header, by hand (for what libarchive would not write as we want).
std::string ustarHeader(const std::string& name, char type, size_t size) {
    std::string h(512, '\0');
    h.replace(0, name.size(), name);
    auto octal = [&](size_t off, size_t len, uint64_t v) {
        std::string s = fmt::format("{:0{}o}", v, len - 1);
        h.replace(off, s.size(), s);
    };
    octal(100, 8, 0644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, size);
    octal(136, 12, 1600000000);
    h[156] = type;
    h.replace(257, 6, std::string("ustar\0", 6));
    h.replace(263, 2, "00");
    h.replace(148, 8, "        ");
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::string cs = fmt::format("{:06o}", sum);
    h.replace(148, 7, cs + '\0');
    return h;
}

std::string padded(std::string s) {
    s.resize((s.size() + 511) / 512 * 512, '\0');
    return s;
}

std::string paxRecord(const std::string& key, const std::string& value) {
    std::string body = " " + key + "=" + value + "\n";
    size_t n = body.size() + 1;
    while (std::to_string(n).size() + body.size() != n) ++n;  // the length counts itself
    return std::to_string(n) + body;
}

TEST(Unpack, PaxNamesAsGoWritesThem) {
    // Go's archive/tar: "path" as raw bytes, no hdrcharset record; UTF-8 in practice, but
    // anything must come through unchanged, whatever the process locale.
    std::string utf8 = "etc/ssl/F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem";
    std::string bad = "etc/latin1-caf\xe9";
    std::string tar;
    for (const auto& name : {utf8, bad}) {
        std::string rec = paxRecord("path", name);
        tar += ustarHeader("PaxHeaders/x", 'x', rec.size()) + padded(rec) +
               ustarHeader("placeholder", '0', 3) + padded("pem");
    }
    // And a plain ustar name with a non-UTF-8 byte.
    tar += ustarHeader("ustar-\xe9", '0', 1) + padded("u") + std::string(1024, '\0');
    TempDir t;
    auto r = unpackString(tar, t.path());
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(readAll(t.path() + "/" + utf8), "pem");
    EXPECT_EQ(readAll(t.path() + "/" + bad), "pem");
    EXPECT_EQ(readAll(t.path() + "/ustar-\xe9"), "u");
    EXPECT_FALSE(lexists(t.path() + "/placeholder"));
}

TEST(Unpack, GnuLongNames) {
    struct archive* a = archive_write_new();
    archive_write_set_format_gnutar(a);
    std::string tar;
    archive_write_open(
        a, &tar, nullptr,
        [](struct archive*, void* ud, const void* b, size_t n) -> la_ssize_t {
            static_cast<std::string*>(ud)->append(static_cast<const char*>(b), n);
            return static_cast<la_ssize_t>(n);
        },
        nullptr);
    std::string name = "d/" + std::string(200, 'n');
    std::string target = std::string(180, 't');
    struct archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_copy_symlink(e, target.c_str());
    archive_entry_set_perm(e, 0777);
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);

    TempDir t;
    auto r = unpackString(tar, t.path());
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(sys::readlink(t.path() + "/" + name).valueOr(""), target);
}

}  // namespace
}  // namespace berth::image::archive
