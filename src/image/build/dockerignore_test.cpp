#include "image/build/dockerignore.h"

#include <gtest/gtest.h>

namespace berth::image::build {
namespace {

IgnoreMatcher parse(std::string_view text) {
    auto r = IgnoreMatcher::parse(text);
    EXPECT_TRUE(r) << (r ? "" : r.error().str());
    return r ? *r : IgnoreMatcher{};
}

bool match(std::string_view pattern, std::string_view path) {
    auto r = IgnoreMatcher::matchPattern(pattern, path);
    EXPECT_TRUE(r);
    return r && *r;
}

TEST(DockerIgnore, CleanPath) {
    EXPECT_EQ(cleanPath("./a//b/../c/"), "a/c");
    EXPECT_EQ(cleanPath(""), ".");
    EXPECT_EQ(cleanPath("/../a"), "/a");
    EXPECT_EQ(cleanPath("../a"), "../a");
    EXPECT_EQ(cleanPath("a/.."), ".");
}

TEST(DockerIgnore, SingleStarAndQuestionStayInOneDirectory) {
    EXPECT_TRUE(match("*.md", "README.md"));
    EXPECT_FALSE(match("*.md", "docs/README.md"));
    EXPECT_TRUE(match("*/*.md", "docs/README.md"));
    EXPECT_TRUE(match("a?c", "abc"));
    EXPECT_FALSE(match("a?c", "a/c"));
    EXPECT_TRUE(match("[a-c]x", "bx"));
    EXPECT_FALSE(match("[^a-c]x", "bx"));
    EXPECT_TRUE(match("[^a-c]x", "dx"));
    EXPECT_TRUE(match("a\\*b", "a*b"));
    EXPECT_FALSE(match("a\\*b", "axb"));
    EXPECT_TRUE(match("file.txt", "file.txt"));
    EXPECT_FALSE(match("file.txt", "fileXtxt"));  // '.' is literal
    EXPECT_FALSE(IgnoreMatcher::matchPattern("[abc", "a"));
}

TEST(DockerIgnore, DoubleStar) {
    EXPECT_TRUE(match("**/*.go", "a.go"));
    EXPECT_TRUE(match("**/*.go", "x/y/a.go"));
    EXPECT_TRUE(match("a/**/b", "a/b"));
    EXPECT_TRUE(match("a/**/b", "a/x/y/b"));
    EXPECT_FALSE(match("a/**/b", "a/xb"));
    EXPECT_TRUE(match("a/**", "a/x/y"));
    EXPECT_TRUE(match("**", "anything/at/all"));
    EXPECT_TRUE(match("***/x", "p/q/x"));
}

TEST(DockerIgnore, ParentDirectoriesAndExceptions) {
    auto m = parse(
        "# comment\n"
        "  \n"
        "/secret\n"
        "*.log\n"
        "!keep.log\n"
        "build/\n"
        "!build/out/\n"
        "docs/**/*.tmp\n");
    EXPECT_TRUE(m.excluded("secret"));
    EXPECT_TRUE(m.excluded("secret/key"));  // a matched directory excludes its contents
    EXPECT_TRUE(m.excluded("x.log"));
    EXPECT_FALSE(m.excluded("keep.log"));
    EXPECT_FALSE(m.excluded("sub/x.log"));
    EXPECT_TRUE(m.excluded("build"));
    EXPECT_TRUE(m.excluded("build/a.o"));
    EXPECT_FALSE(m.excluded("build/out"));
    EXPECT_FALSE(m.excluded("build/out/bin"));
    EXPECT_TRUE(m.excluded("docs/a/b/c.tmp"));
    EXPECT_TRUE(m.excluded("docs/c.tmp"));
    EXPECT_FALSE(m.excluded("docs/c.txt"));
    EXPECT_FALSE(m.excluded("Dockerfile"));
    EXPECT_TRUE(m.mayReinclude("build"));
    EXPECT_FALSE(m.mayReinclude("secret"));
}

TEST(DockerIgnore, LastMatchWins) {
    auto m = parse("*\n!a*\nab\n");
    EXPECT_TRUE(m.excluded("x"));
    EXPECT_FALSE(m.excluded("ac"));
    EXPECT_TRUE(m.excluded("ab"));
    auto none = parse("");
    EXPECT_TRUE(none.empty());
    EXPECT_FALSE(none.excluded("anything"));
    EXPECT_FALSE(IgnoreMatcher::parse("!\n"));
}

}  // namespace
}  // namespace berth::image::build
