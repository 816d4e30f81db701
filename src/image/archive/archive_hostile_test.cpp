// Hostile layers: names and links that try to reach outside the layer directory. For each, a
// canary file beside the layer dir (and /etc/x-berth-canary, /etc/passwd) must stay untouched;
// the entry is either contained (lands inside the layer) or rejected with an error naming it.
#include <gtest/gtest.h>

#include "image/archive/archive_test_util.h"

namespace berth::image::archive {
namespace {

using namespace testutil;

constexpr const char* kEtcCanary = "/etc/x-berth-canary";

class Hostile : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(lexists(kEtcCanary)) << "leftover " << kEtcCanary;
        canary_ = tmp_.path() + "/canary";
        writeAll(canary_, "canary");
        ::utimensat(AT_FDCWD, canary_.c_str(), kOld, 0);
        layer_ = tmp_.mkdir("layer");
        ASSERT_EQ(::stat(canary_.c_str(), &canaryBefore_), 0);
        ASSERT_EQ(::stat(tmp_.path().c_str(), &tmpBefore_), 0);
        ASSERT_EQ(::stat("/etc/passwd", &passwdBefore_), 0);
    }
    void TearDown() override {
        // The canaries, whatever happened.
        struct stat st;
        ASSERT_EQ(::stat(canary_.c_str(), &st), 0);
        EXPECT_EQ(readAll(canary_), "canary");
        EXPECT_EQ(st.st_ino, canaryBefore_.st_ino);
        EXPECT_EQ(st.st_nlink, 1u);
        EXPECT_EQ(st.st_mode, canaryBefore_.st_mode);
        EXPECT_EQ(st.st_uid, canaryBefore_.st_uid);
        EXPECT_EQ(st.st_mtim.tv_sec, canaryBefore_.st_mtim.tv_sec);
        ASSERT_EQ(::stat(tmp_.path().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode, tmpBefore_.st_mode);
        EXPECT_EQ(st.st_uid, tmpBefore_.st_uid);
        EXPECT_FALSE(lexists(tmp_.path() + "/x"));
        EXPECT_FALSE(lexists(kEtcCanary));
        if (lexists(kEtcCanary)) ::unlink(kEtcCanary);  // do not poison later runs
        ASSERT_EQ(::stat("/etc/passwd", &st), 0);
        EXPECT_EQ(st.st_nlink, passwdBefore_.st_nlink);
        EXPECT_EQ(st.st_mtim.tv_sec, passwdBefore_.st_mtim.tv_sec);
    }

    Result<UnpackResult> unpack(const std::vector<TarEntry>& es, bool overlay = true) {
        UnpackOptions o;
        o.overlayWhiteouts = overlay;
        return unpackString(makeTar(es), layer_, o);
    }
    std::string in(const std::string& rel) const { return layer_ + "/" + rel; }

    static constexpr struct timespec kOld[2] = {{1000000000, 0}, {1000000000, 0}};
    TempDir tmp_;
    std::string canary_, layer_;
    struct stat canaryBefore_, tmpBefore_, passwdBefore_;
};

TEST_F(Hostile, DotDotNameIsRejected) {
    auto r = unpack({file("../canary", "pwned")});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("entry ../canary"), std::string::npos) << r.error().str();
    EXPECT_NE(r.error().str().find("escapes"), std::string::npos) << r.error().str();

    r = unpack({dir("a/"), file("a/../../x", "pwned")});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("a/../../x"), std::string::npos) << r.error().str();
}

TEST_F(Hostile, AbsoluteNamesAreContained) {
    ASSERT_TRUE(unpack({file(kEtcCanary, "pwned"), file(canary_, "pwned")}).ok());
    EXPECT_EQ(readAll(in("etc/x-berth-canary")), "pwned");
    EXPECT_EQ(readAll(layer_ + canary_), "pwned");
}

TEST_F(Hostile, SymlinkToRootThenFileThroughIt) {
    auto r =
        unpack({symlink("x", "/"), file("x/etc/x-berth-canary", "pwned"), symlink("y", tmp_.path()),
                file("y/canary", "pwned"), symlink("z", "../.."), file("z/canary", "pwned"),
                symlink("e", "/etc"), file("e/x-berth-canary", "pwned2")});
    ASSERT_TRUE(r.ok()) << r.error().str();
    // Resolved inside the layer: "/" is the layer root.
    EXPECT_EQ(readAll(in("etc/x-berth-canary")), "pwned2");
    EXPECT_EQ(readAll(layer_ + canary_), "pwned");
    EXPECT_EQ(readAll(in("canary")), "pwned");
}

TEST_F(Hostile, HardlinkToAbsoluteOutsidePathIsRejected) {
    auto r = unpack({hardlink("h", canary_)});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("entry h"), std::string::npos) << r.error().str();
    EXPECT_FALSE(lexists(in("h")));

    r = unpack({hardlink("p", "/etc/passwd")});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("entry p"), std::string::npos) << r.error().str();
}

TEST_F(Hostile, HardlinkWithDotDotIsRejected) {
    auto r = unpack({hardlink("h", "../canary")});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("entry h"), std::string::npos) << r.error().str();
    EXPECT_NE(r.error().str().find("../canary"), std::string::npos) << r.error().str();
    EXPECT_FALSE(lexists(in("h")));
}

TEST_F(Hostile, HardlinkThroughSymlinkedParentStaysInside) {
    auto r = unpack({symlink("s", tmp_.path()), hardlink("h", "s/canary")});
    ASSERT_FALSE(r.ok());  // <layer>/<tmp>/canary does not exist
    EXPECT_NE(r.error().str().find("entry h"), std::string::npos) << r.error().str();

    // A hardlink to a symlink links the symlink itself, never what it points to.
    r = unpack({symlink("l", canary_), hardlink("h2", "l")});
    ASSERT_TRUE(r.ok()) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat(in("h2").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(Hostile, FileOverSymlinkReplacesTheLink) {
    auto r = unpack({symlink("l", canary_), file("l", "pwned", 0777)});
    ASSERT_TRUE(r.ok()) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat(in("l").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(readAll(in("l")), "pwned");
}

TEST_F(Hostile, DirOverSymlinkReplacesTheLink) {
    auto r = unpack({symlink("d", tmp_.path()), dir("d/", 0777)});
    ASSERT_TRUE(r.ok()) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat(in("d").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0777u);
}

TEST_F(Hostile, MetadataIsNotAppliedThroughSymlinks) {
    // Owner and times of a symlink entry go to the link; chmod is never applied to a link.
    TarEntry l = symlink("m", canary_);
    l.uid = 1234;
    l.mtime = 1700000000;
    auto r = unpack({l});
    ASSERT_TRUE(r.ok()) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat(in("m").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);
}

TEST_F(Hostile, DevicesAndFifosThroughSymlinkStayInside) {
    TarEntry c;
    c.name = "x/canary";
    c.type = 'c';
    c.devMajor = 1;
    c.devMinor = 3;
    TarEntry p;
    p.name = "x/fifo";
    p.type = 'p';
    auto r = unpack({symlink("x", tmp_.path()), c, p});
    ASSERT_TRUE(r.ok()) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat((layer_ + canary_).c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_FALSE(lexists(tmp_.path() + "/fifo"));
}

TEST_F(Hostile, WhiteoutsStayInside) {
    // Overlay form: the whiteout device lands inside.
    auto r = unpack({symlink("x", tmp_.path()), file("x/.wh.canary", "")});
    ASSERT_TRUE(r.ok()) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat((layer_ + canary_).c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));

    // Flattening: deletes and opaque markers resolve inside the layer too.
    TempDir other;
    UnpackOptions o;
    o.overlayWhiteouts = false;
    r = unpackString(
        makeTar({symlink("x", tmp_.path()), file("x/.wh.canary", ""), symlink("y", "/"),
                 file("y/.wh..wh..opq", ""), symlink("z", "../.."), file("z/.wh.canary", "")}),
        other.path(), o);
    ASSERT_TRUE(r.ok()) << r.error().str();

    r = unpack({file(".wh...", "")});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("entry .wh..."), std::string::npos) << r.error().str();
}

TEST_F(Hostile, SymlinkLoopsFailCleanly) {
    auto r = unpack({symlink("a", "b"), symlink("b", "a"), file("a/x", "pwned")});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("entry a/x"), std::string::npos) << r.error().str();
    EXPECT_EQ(r.error().code, ELOOP) << r.error().str();
    // A dangling link whose target runs through itself.
    r = unpack({symlink("c", "c/d"), file("c/x", "pwned")});
    ASSERT_FALSE(r.ok());
}

TEST_F(Hostile, RootCannotBecomeASymlink) {
    auto r = unpack({symlink("./", "/")});
    ASSERT_FALSE(r.ok());
    struct stat st;
    ASSERT_EQ(::lstat(layer_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
}

}  // namespace
}  // namespace berth::image::archive
