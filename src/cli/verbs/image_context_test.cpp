#include "cli/verbs/image_context.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

std::set<std::string> names(const std::string& tar) {
    std::set<std::string> out;
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) out.insert(archive_entry_pathname(e));
    archive_read_free(a);
    return out;
}

bool ex(const IgnoreMatcher& m, const char* p) {
    return m.excluded(p);
}

TEST(CleanPath, GoRules) {
    EXPECT_EQ(cleanPath("./a//b/../c"), "a/c");
    EXPECT_EQ(cleanPath("/a/.."), "/");
    EXPECT_EQ(cleanPath(""), ".");
    EXPECT_EQ(cleanPath("a/"), "a");
}

TEST(IgnoreMatcher, Globs) {
    auto m =
        *IgnoreMatcher::parse("# comment\n\n*.log\n/build\n**/tmp\ndocs/*.md\n!docs/keep.md\n");
    EXPECT_TRUE(ex(m, "x.log"));
    EXPECT_FALSE(ex(m, "a/x.log"));  // '*' does not cross '/'
    EXPECT_TRUE(ex(m, "build"));
    EXPECT_TRUE(ex(m, "build/out/a.o"));  // parent matches
    EXPECT_TRUE(ex(m, "tmp"));
    EXPECT_TRUE(ex(m, "a/b/tmp/c"));
    EXPECT_TRUE(ex(m, "docs/a.md"));
    EXPECT_FALSE(ex(m, "docs/keep.md"));
    EXPECT_FALSE(ex(m, "src/main.c"));
}

TEST(IgnoreMatcher, QuestionClassEscape) {
    auto m = *IgnoreMatcher::fromPatterns({"a?c", "[xy].txt", "lit\\*", "**"});
    EXPECT_TRUE(ex(m, "abc"));
    EXPECT_TRUE(ex(m, "x.txt"));
    auto n = *IgnoreMatcher::fromPatterns({"a?c", "[xy].txt", "lit\\*"});
    EXPECT_FALSE(ex(n, "a/c"));
    EXPECT_FALSE(ex(n, "z.txt"));
    EXPECT_TRUE(ex(n, "lit*"));
    EXPECT_FALSE(ex(n, "litx"));
}

TEST(IgnoreMatcher, BadPattern) {
    EXPECT_FALSE(IgnoreMatcher::fromPatterns({"[abc"}).ok());
    EXPECT_FALSE(IgnoreMatcher::fromPatterns({"!"}).ok());
}

class ContextTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char t[] = "/tmp/ctxtestXXXXXX";
        dir_ = mkdtemp(t);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& rel, const std::string& s) {
        std::filesystem::path p = dir_ + "/" + rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << s;
    }
    std::string dir_;
};

TEST_F(ContextTest, HonoursDockerignore) {
    write("Dockerfile", "FROM busybox\n");
    write(".dockerignore", "secret.txt\nsub\nDockerfile\n.dockerignore\n");
    write("secret.txt", "x");
    write("keep.txt", "y");
    write("sub/a", "z");
    auto bc = makeBuildContext(dir_, "");
    ASSERT_TRUE(bc.ok()) << bc.error().msg;
    EXPECT_EQ(bc->dockerfile, "Dockerfile");
    EXPECT_EQ(names(bc->tar), (std::set<std::string>{".dockerignore", "Dockerfile", "keep.txt"}));
    EXPECT_EQ(bc->tar.size() % 512, 0u);
}

TEST_F(ContextTest, ExceptionInsideExcludedDir) {
    write("Dockerfile", "FROM busybox\n");
    write(".dockerignore", "sub\n!sub/keep\n");
    write("sub/drop", "1");
    write("sub/keep", "2");
    auto bc = makeBuildContext(dir_, "");
    ASSERT_TRUE(bc.ok()) << bc.error().msg;
    auto n = names(bc->tar);
    EXPECT_TRUE(n.count("sub/keep"));
    EXPECT_FALSE(n.count("sub/drop"));
}

TEST_F(ContextTest, DockerfileElsewhere) {
    write("ctx/a", "1");
    write("other/My.Dockerfile", "FROM busybox\n");
    auto bc = makeBuildContext(dir_ + "/ctx", dir_ + "/other/My.Dockerfile");
    ASSERT_TRUE(bc.ok()) << bc.error().msg;
    EXPECT_EQ(bc->dockerfile.rfind(".dockerfile.", 0), 0u);
    EXPECT_TRUE(names(bc->tar).count(bc->dockerfile));
    auto sub = makeBuildContext(dir_, dir_ + "/other/My.Dockerfile");
    ASSERT_TRUE(sub.ok());
    EXPECT_EQ(sub->dockerfile, "other/My.Dockerfile");
}

TEST_F(ContextTest, Errors) {
    EXPECT_FALSE(makeBuildContext(dir_ + "/nope", "").ok());
    write("a", "1");
    auto r = makeBuildContext(dir_, "");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().msg.find("Dockerfile"), std::string::npos);
}

TEST(Archive, Detects) {
    auto t = tarSingleFile("Dockerfile", "FROM x\n");
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(looksLikeArchive(*t));
    EXPECT_FALSE(looksLikeArchive("FROM busybox\n"));
    EXPECT_EQ(names(*t), std::set<std::string>{"Dockerfile"});
}

}  // namespace
}  // namespace berth::cli
