#include "common/detach_keys.h"

#include <gtest/gtest.h>

#include <string>

using namespace std::string_literals;

namespace berth {
namespace {

TEST(DetachKeys, Parses) {
    EXPECT_EQ(*parseDetachKeys(""), "\x10\x11");
    EXPECT_EQ(*parseDetachKeys("ctrl-p,ctrl-q"), "\x10\x11");
    EXPECT_EQ(*parseDetachKeys("ctrl-a"), "\x01");
    EXPECT_EQ(*parseDetachKeys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"),
              "\x00\x1b\x1c\x1d\x1e\x1f"s);
    EXPECT_EQ(*parseDetachKeys("a,b,DEL"), "ab\x7f");
    EXPECT_EQ(*parseDetachKeys("ctrl-z,x"), "\x1ax");
}

TEST(DetachKeys, RejectsBadSpecs) {
    for (const char* bad : {"ctrl-", "ctrl-A", "ctrl-1", "ab", "a,,b", "a,", ",a", "ctrl-p ctrl-q",
                            "ctrl-pq", "del"}) {
        auto r = parseDetachKeys(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().msg, fmt::format("Invalid detach keys ({}) provided", bad));
    }
}

TEST(DetachScanner, PassesUnrelatedBytes) {
    DetachScanner s("\x10\x11");
    std::string out;
    EXPECT_FALSE(s.feed("hello", out));
    EXPECT_EQ(out, "hello");
    EXPECT_TRUE(s.held().empty());
}

TEST(DetachScanner, HoldsAPartialMatchBack) {
    DetachScanner s("\x10\x11");
    std::string out;
    EXPECT_FALSE(s.feed("ab\x10", out));
    EXPECT_EQ(out, "ab");
    EXPECT_EQ(s.held(), "\x10");
}

TEST(DetachScanner, ForwardsHeldBytesWhenTheSequenceBreaks) {
    DetachScanner s("\x10\x11");
    std::string out;
    EXPECT_FALSE(s.feed("\x10", out));
    EXPECT_EQ(out, "");
    EXPECT_FALSE(s.feed("x", out));
    EXPECT_EQ(out, "\x10x");
    EXPECT_TRUE(s.held().empty());
}

TEST(DetachScanner, MatchesAcrossReads) {
    DetachScanner s("\x10\x11");
    std::string out;
    EXPECT_FALSE(s.feed("ls\x10", out));
    EXPECT_TRUE(s.feed("\x11rest", out));
    EXPECT_EQ(out, "ls");  // the sequence and what followed it are dropped
}

TEST(DetachScanner, RestartsOnARepeatedFirstKey) {
    DetachScanner s("\x10\x11");
    std::string out;
    EXPECT_TRUE(s.feed("\x10\x10\x11", out));
    EXPECT_EQ(out, "\x10");
    DetachScanner t("aab");
    out.clear();
    EXPECT_TRUE(t.feed("aaab", out));
    EXPECT_EQ(out, "a");
    out.clear();
    DetachScanner u("abc");
    EXPECT_FALSE(u.feed("ab", out));
    EXPECT_FALSE(u.feed("ab", out));
    EXPECT_EQ(out, "ab");
    EXPECT_EQ(u.held(), "ab");
}

TEST(DetachScanner, EmptyKeysNeverMatch) {
    DetachScanner s("");
    std::string out;
    EXPECT_FALSE(s.feed("\x10\x11", out));
    EXPECT_EQ(out, "\x10\x11");
}

}  // namespace
}  // namespace berth
