#include "image/build/users.h"

#include <gtest/gtest.h>

namespace berth::image::build {
namespace {

const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# comment\n"
    "app:x:1000:1001:app:/home/app:/bin/sh\n"
    "broken line\n";
const char* kGroup =
    "root:x:0:\n"
    "app:x:1001:\n"
    "wheel:x:10:app,other\n"
    "audio:x:29:app\n";

Result<ExecUser> resolve(const std::string& spec) {
    return resolveUserIn(parsePasswd(kPasswd), parseGroup(kGroup), spec);
}

TEST(Users, NamesAndIds) {
    auto r = resolve("app");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->uid, 1000u);
    EXPECT_EQ(r->gid, 1001u);
    EXPECT_EQ(r->home, "/home/app");
    EXPECT_EQ(r->additionalGids, (std::vector<uint32_t>{10, 29}));
    r = resolve("");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->uid, 0u);
    EXPECT_EQ(r->home, "/root");
    r = resolve("4242");  // unknown numeric: used as is
    ASSERT_TRUE(r);
    EXPECT_EQ(r->uid, 4242u);
    EXPECT_EQ(r->gid, 0u);
    EXPECT_EQ(r->home, "/");
    r = resolve("1000:wheel");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->uid, 1000u);
    EXPECT_EQ(r->gid, 10u);
    EXPECT_TRUE(r->additionalGids.empty());  // an explicit group: no supplementary ones
    r = resolve("app:77");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->gid, 77u);
    EXPECT_FALSE(resolve("nobody"));
    EXPECT_FALSE(resolve("app:nogroup"));
}

}  // namespace
}  // namespace berth::image::build
