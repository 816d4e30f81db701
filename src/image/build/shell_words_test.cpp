#include "image/build/shell_words.h"

#include <gtest/gtest.h>

namespace berth::image::build {
namespace {

Lookup env() {
    return envLookup({"A=hello", "B=x y", "EMPTY=", "A2=second"});
}

std::string word(std::string_view w, char esc = '\\') {
    auto r = ShellLex(esc).processWord(w, env());
    EXPECT_TRUE(r) << (r ? "" : r.error().str());
    return r ? *r : "<error>";
}

TEST(ShellWords, PlainAndBracedVariables) {
    EXPECT_EQ(word("$A"), "hello");
    EXPECT_EQ(word("${A}"), "hello");
    EXPECT_EQ(word("pre-${A}-post"), "pre-hello-post");
    EXPECT_EQ(word("$A2"), "second");  // longest name, not $A followed by "2"
    EXPECT_EQ(word("$UNSET"), "");
    EXPECT_EQ(word("a$"), "a$");
    EXPECT_EQ(word("$-x"), "$-x");
}

TEST(ShellWords, Modifiers) {
    EXPECT_EQ(word("${UNSET:-def}"), "def");
    EXPECT_EQ(word("${EMPTY:-def}"), "def");
    EXPECT_EQ(word("${EMPTY-def}"), "");
    EXPECT_EQ(word("${A:-def}"), "hello");
    EXPECT_EQ(word("${A:+alt}"), "alt");
    EXPECT_EQ(word("${EMPTY:+alt}"), "");
    EXPECT_EQ(word("${EMPTY+alt}"), "alt");
    EXPECT_EQ(word("${UNSET+alt}"), "");
    EXPECT_EQ(word("${UNSET:-$A}"), "hello");  // the word is expanded too
    EXPECT_EQ(word("${UNSET:-'a b'}"), "a b");
    auto r = ShellLex().processWord("${UNSET:?must be set}", env());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().msg.find("UNSET: must be set"), std::string::npos);
    EXPECT_FALSE(ShellLex().processWord("${A", env()));
    EXPECT_FALSE(ShellLex().processWord("${A%x}", env()));
}

TEST(ShellWords, Quoting) {
    EXPECT_EQ(word("'$A'"), "$A");
    EXPECT_EQ(word("\"$A\""), "hello");
    EXPECT_EQ(word("\"a \\\"q\\\" \\$A \\x\""), "a \"q\" $A \\x");
    EXPECT_EQ(word("\\$A"), "$A");
    EXPECT_EQ(word("a\\ b"), "a b");
    EXPECT_EQ(word("'it''s'"), "its");
    EXPECT_FALSE(ShellLex().processWord("'open", env()));
    EXPECT_FALSE(ShellLex().processWord("\"open", env()));
}

TEST(ShellWords, BacktickEscape) {
    EXPECT_EQ(word("`$A", '`'), "$A");
    EXPECT_EQ(word("C:\\path\\$A", '`'), "C:\\path\\hello");
}

TEST(ShellWords, WordsSplitAfterExpansion) {
    auto r = ShellLex().processWords("a \"b c\" $B '' d\\ e", env());
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<std::string>{"a", "b c", "x", "y", "", "d e"}));
    auto q = ShellLex().processWords("\"$B\"", env());
    ASSERT_TRUE(q);
    EXPECT_EQ(*q, std::vector<std::string>{"x y"});
}

TEST(ShellWords, EnvLookupLastWins) {
    auto lk = envLookup({"X=1", "X=2", "Y"});
    EXPECT_EQ(lk("X"), "2");
    EXPECT_EQ(lk("Y"), "");
    EXPECT_FALSE(lk("Z"));
}

}  // namespace
}  // namespace berth::image::build
