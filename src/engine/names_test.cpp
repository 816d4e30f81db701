#include "engine/names.h"

#include <gtest/gtest.h>

#include <set>

namespace berth::engine {
namespace {

TEST(Names, RandomNamesAreValidAndVaried) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string n = randomName();
        EXPECT_TRUE(validName(n)) << n;
        auto us = n.find('_');
        ASSERT_NE(us, std::string::npos) << n;
        EXPECT_GT(us, 0u);
        EXPECT_LT(us + 1, n.size());
        EXPECT_EQ(n.find('_', us + 1), std::string::npos) << n;
        seen.insert(n);
    }
    // 15000 combinations: 200 draws collide only a little.
    EXPECT_GT(seen.size(), 150u);
}

TEST(Names, DockerRule) {
    for (const char* ok : {"ab", "/ab", "web-1", "a.b_c-d", "0x", "Z9", "/x_"})
        EXPECT_TRUE(validName(ok)) << ok;
    for (const char* bad :
         {"", "/", "a", "/a", "_ab", "-ab", ".ab", "a b", "a/b", "//ab", "ä1", "ab!", "a:b"})
        EXPECT_FALSE(validName(bad)) << bad;
}

}  // namespace
}  // namespace berth::engine
