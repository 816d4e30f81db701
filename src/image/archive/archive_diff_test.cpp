// diffUpper on hand-made overlay dirs (upper + lowers in overlay form).
#include <gtest/gtest.h>

#include "image/archive/archive_test_util.h"

namespace berth::image::archive {
namespace {

using namespace testutil;

std::string render(const std::vector<Change>& cs) {
    std::string out;
    for (const auto& c : cs) out += std::string(1, c.kind) + " " + c.path + "\n";
    return out;
}

class Diff : public ::testing::Test {
  protected:
    void SetUp() override {
        lower1_ = t_.mkdir("lower1");  // bottom
        lower0_ = t_.mkdir("lower0");  // top
        upper_ = t_.mkdir("upper");
    }
    void mkdirs(const std::string& root, std::initializer_list<const char*> ds) {
        for (const char* d : ds) ASSERT_EQ(::mkdir((root + "/" + d).c_str(), 0755), 0) << d;
    }
    void whiteout(const std::string& root, const char* rel) {
        ASSERT_EQ(::mknod((root + "/" + rel).c_str(), S_IFCHR, makedev(0, 0)), 0);
    }
    void opaque(const std::string& root, const char* rel) {
        ASSERT_EQ(::setxattr((root + "/" + rel).c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    }
    // Gives the upper copy of a directory the metadata of the lower one (as a copy-up does).
    void sameMeta(const char* rel, const std::string& lower) {
        struct stat st;
        ASSERT_EQ(::lstat((lower + "/" + rel).c_str(), &st), 0);
        std::string u = upper_ + "/" + rel;
        ASSERT_EQ(::chmod(u.c_str(), st.st_mode & 07777), 0);
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        ASSERT_EQ(::utimensat(AT_FDCWD, u.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
    }
    Result<std::vector<Change>> diff() { return diffUpper(upper_, {lower0_, lower1_}); }

    TempDir t_;
    std::string lower1_, lower0_, upper_;
};

TEST_F(Diff, DockerStyleChanges) {
    // Lowers: lower1 has the base system; lower0 deleted /etc/group and added /etc/new.
    mkdirs(lower1_, {"etc", "usr", "usr/bin", "var", "var/log", "old", "old/dir"});
    writeAll(lower1_ + "/etc/passwd", "root");
    writeAll(lower1_ + "/etc/group", "g");
    writeAll(lower1_ + "/usr/bin/a", "a");
    writeAll(lower1_ + "/var/log/x", "x");
    writeAll(lower1_ + "/old/dir/f", "f");
    writeAll(lower1_ + "/old/file", "f");
    mkdirs(lower0_, {"etc"});
    whiteout(lower0_, "etc/group");
    writeAll(lower0_ + "/etc/new", "n");

    // Upper: what a container did.
    mkdirs(upper_, {"etc", "usr", "usr/bin", "var", "var/log", "newdir", "old"});
    writeAll(upper_ + "/etc/passwd", "root2");  // modified
    writeAll(upper_ + "/etc/added", "+");       // added
    whiteout(upper_, "usr/bin/a");              // deleted
    writeAll(upper_ + "/var/log/x", "x2");      // modified, parents untouched
    writeAll(upper_ + "/newdir/f", "f");        // added with its new dir
    opaque(upper_, "old");                      // rm -rf /old/*; then a new file
    writeAll(upper_ + "/old/fresh", "f");
    for (const char* d : {"usr", "var", "var/log"}) sameMeta(d, lower1_);
    sameMeta("etc", lower0_);

    auto r = diff();
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(render(*r),
              "C /etc\n"
              "A /etc/added\n"
              "C /etc/passwd\n"
              "A /newdir\n"
              "A /newdir/f\n"
              "C /old\n"
              "D /old/dir\n"
              "D /old/file\n"
              "A /old/fresh\n"
              "C /usr/bin\n"
              "D /usr/bin/a\n"
              "C /var/log/x\n");
}

TEST_F(Diff, LowerWhiteoutsAndOpaqueDirsHideWhatIsBelow) {
    mkdirs(lower1_, {"d"});
    writeAll(lower1_ + "/d/hidden", "h");
    writeAll(lower1_ + "/gone", "g");
    mkdirs(lower0_, {"d"});
    opaque(lower0_, "d");  // lower0 replaced d: d/hidden is not visible any more
    whiteout(lower0_, "gone");
    mkdirs(upper_, {"d"});
    sameMeta("d", lower0_);
    writeAll(upper_ + "/d/hidden", "back");  // so this is an addition
    writeAll(upper_ + "/gone", "back too");  // and so is this

    auto r = diff();
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(render(*r),
              "C /d\n"
              "A /d/hidden\n"
              "A /gone\n");
}

TEST_F(Diff, TypeChangesAndMetadata) {
    mkdirs(lower1_, {"was-dir", "meta"});
    writeAll(lower1_ + "/was-file", "f");
    writeAll(lower1_ + "/was-dir/in", "i");
    writeAll(upper_ + "/was-dir", "now a file");
    mkdirs(upper_, {"was-file", "meta"});
    writeAll(upper_ + "/was-file/in", "i");
    sameMeta("meta", lower1_);
    ASSERT_EQ(::chmod((upper_ + "/meta").c_str(), 0700), 0);  // chmod only

    auto r = diff();
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(render(*r),
              "C /meta\n"
              "C /was-dir\n"
              "C /was-file\n"
              "A /was-file/in\n");
}

TEST_F(Diff, EmptyUpperAndNoLowers) {
    auto r = diff();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
    writeAll(upper_ + "/x", "x");
    r = diffUpper(upper_, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(render(*r), "A /x\n");
    EXPECT_FALSE(diffUpper(upper_ + "/missing", {}).ok());
}

}  // namespace
}  // namespace berth::image::archive
