#include "image/build/users.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/unique_fd.h"

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

// ---- the process user ---------------------------------------------------------------------

const char* kProcPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "app:x:1000:1000::/home/app:/bin/sh\n";
const char* kProcGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "wheel:x:10:app,root\n"
    "audio:x:29:app\n"
    "app:x:1000:\n"
    "nogroup:x:65534:\n";

Result<ExecUser> user(const std::string& spec, const std::vector<std::string>& add = {}) {
    return processUserIn(parsePasswd(kProcPasswd), parseGroup(kProcGroup), spec, add);
}

using Gids = std::vector<uint32_t>;

TEST(ProcessUser, PrimaryGidThenTheGroupsListingTheUser) {
    auto r = user("0");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->additionalGids, (Gids{0, 10}));  // root is listed in wheel
    r = user("app");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->uid, 1000u);
    EXPECT_EQ(r->gid, 1000u);
    EXPECT_EQ(r->additionalGids, (Gids{1000, 10, 29}));
    r = user("daemon");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->additionalGids, (Gids{1}));
}

TEST(ProcessUser, AnExplicitGroupGivesOnlyIt) {
    // docker run --user 1000:1000 -> id: groups=1000
    auto r = user("1000:1000");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->additionalGids, (Gids{1000}));
    r = user("app:audio");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->gid, 29u);
    EXPECT_EQ(r->additionalGids, (Gids{29}));
    // Not in passwd: numeric ids as given.
    r = user("4242:4343");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->uid, 4242u);
    EXPECT_EQ(r->additionalGids, (Gids{4343}));
    r = user("4242");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->additionalGids, (Gids{0}));
}

TEST(ProcessUser, GroupAddIsAppended) {
    // docker run --user 1000:1000 --group-add 65534 -> groups=1000,65534
    auto r = user("1000:1000", {"65534"});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->additionalGids, (Gids{1000, 65534}));
    r = user("0", {"audio", "4000", "29", "nogroup"});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->additionalGids, (Gids{0, 10, 29, 4000, 65534}));
    auto bad = user("0", {"nosuchgroup"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, EINVAL);
    EXPECT_EQ(bad.error().msg,
              "Unable to find group nosuchgroup: no matching entries in group file");
    EXPECT_FALSE(user("0", {"99999999999"}));
}

TEST(ProcessUser, ReadsTheFilesInsideTheRoot) {
    auto dir = std::filesystem::temp_directory_path() / ("berth-user-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir / "etc");
    std::ofstream(dir / "etc/passwd") << kProcPasswd;
    // A symlink out of the root resolves inside it (RESOLVE_IN_ROOT): /etc/group of the root.
    std::ofstream(dir / "group-real") << kProcGroup;
    std::filesystem::create_symlink("/group-real", dir / "etc/group");
    UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root);
    auto r = processUser(root.get(), "app", {"nogroup"});
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->home, "/home/app");
    EXPECT_EQ(r->additionalGids, (Gids{1000, 10, 29, 65534}));
}

}  // namespace
}  // namespace berth::image::build
