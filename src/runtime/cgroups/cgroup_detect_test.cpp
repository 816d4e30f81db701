// detect(), the mount table, resolvePath() and open()'s checks.
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "runtime/cgroups/cgroup.h"
#include "runtime/cgroups/cgroup_test_util.h"

namespace berth::cgroups {
namespace {

using testing::TempTree;

constexpr const char* kMountInfo =
    "25 1 0:23 / / rw - ext4 /dev/sda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "42 23 0:39 / /mnt/other\\040cg rw - cgroup cgroup rw,pids\n"
    "43 23 0:39 / /sys/fs/cgroup/we\\040ird rw - cgroup cgroup rw,freezer\n";

TEST(CgroupMounts, ParseMountInfoCoMountedAndNamed) {
    auto t = parseMountInfo(kMountInfo, "/sys/fs/cgroup");
    EXPECT_EQ(t.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(t.v1.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(t.v1.at("cpuset"), "/sys/fs/cgroup/cpuset");
    EXPECT_EQ(t.v1.at("name=systemd"), "/sys/fs/cgroup/systemd");
    EXPECT_EQ(t.v1.at("freezer"), "/sys/fs/cgroup/we ird");
    EXPECT_EQ(t.v1.count("pids"), 0u) << "outside the root";
    EXPECT_EQ(t.v1.count("xattr"), 0u);
    EXPECT_EQ(t.unified, "/sys/fs/cgroup/unified");
    auto v2 =
        parseMountInfo("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup");
    EXPECT_EQ(v2.unified, "/sys/fs/cgroup");
    EXPECT_TRUE(v2.v1.empty());
}

TEST(CgroupMounts, LoadFallsBackToScanningFixtures) {
    TempTree t;
    t.dir("memory");
    t.dir("unified");
    auto m = loadMountTable(t.root());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->v1.at("memory"), t.path("memory"));
    EXPECT_EQ(m->unified, t.path("unified"));
}

TEST(CgroupDetect, FakeFilesystemMagic) {
    TempTree t;
    t.dir("memory");
    t.dir("unified");
    std::map<std::string, int64_t> magic;
    auto fake = [&](const std::string& p) -> Result<int64_t> {
        auto it = magic.find(p);
        if (it == magic.end()) return makeError(ENOENT, "statfs {}", p);
        return it->second;
    };
    magic[t.root()] = CGROUP2_SUPER_MAGIC;
    EXPECT_EQ(*detectWith(t.root(), fake), Mode::V2);
    magic[t.root()] = TMPFS_MAGIC;
    magic[t.path("memory")] = CGROUP_SUPER_MAGIC;
    magic[t.path("unified")] = CGROUP2_SUPER_MAGIC;
    EXPECT_EQ(*detectWith(t.root(), fake), Mode::Hybrid);
    magic[t.path("unified")] = TMPFS_MAGIC;
    EXPECT_EQ(*detectWith(t.root(), fake), Mode::V1);
    magic[t.path("memory")] = TMPFS_MAGIC;
    auto none = detectWith(t.root(), fake);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().msg.find(t.root()), std::string::npos);
}

TEST(CgroupDetect, ThisHost) {
    auto m = detect();
    ASSERT_TRUE(m) << m.error().str();
    auto mt = loadMountTable("/sys/fs/cgroup");
    ASSERT_TRUE(mt);
    if (*m == Mode::Hybrid) {
        EXPECT_EQ(mt->unified, "/sys/fs/cgroup/unified");
        EXPECT_FALSE(mt->v1.empty());
    }
}

// Real mounts shaped like each layout, in a private mount namespace of a child.
TEST(CgroupDetect, RealMountsInAMountNamespace) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    TempTree t;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (::unshare(CLONE_NEWNS) < 0) ::_exit(10);
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) ::_exit(11);
        std::string r = t.root();
        if (::mount("tmpfs", r.c_str(), "tmpfs", 0, nullptr) < 0) ::_exit(12);
        ::mkdir((r + "/unified").c_str(), 0755);
        ::mkdir((r + "/v2").c_str(), 0755);
        if (::mount("cgroup2", (r + "/unified").c_str(), "cgroup2", 0, nullptr) < 0) ::_exit(13);
        auto h = detect(r);
        if (!h || *h != Mode::Hybrid) ::_exit(20);
        if (::mount("cgroup2", (r + "/v2").c_str(), "cgroup2", 0, nullptr) < 0) ::_exit(14);
        auto v = detect(r + "/v2");
        if (!v || *v != Mode::V2) ::_exit(21);
        auto mt = loadMountTable(r);
        if (!mt || mt->unified != r + "/unified") ::_exit(22);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(CgroupPath, Resolve) {
    EXPECT_EQ(*resolvePath("", "web"), "berth/web");
    EXPECT_EQ(*resolvePath("/a/b", "web"), "a/b");
    EXPECT_EQ(*resolvePath("/a//./b/", "web"), "a/b");
    EXPECT_EQ(*resolvePath("a/b", "web"), "a/b");
    EXPECT_FALSE(resolvePath("/a/../../etc", "web"));
    EXPECT_FALSE(resolvePath("/", "web"));
    EXPECT_FALSE(resolvePath("", "../x"));
    EXPECT_EQ(*resolvePath("system.slice:berth:web", "web"), "system.slice/berth-web.scope");
    EXPECT_EQ(*resolvePath("machine-berth.slice:libpod:abc", "abc"),
              "machine.slice/machine-berth.slice/libpod-abc.scope");
    EXPECT_EQ(*resolvePath("a-b-c.slice::x", "x"), "a.slice/a-b.slice/a-b-c.slice/x.scope");
    EXPECT_EQ(*resolvePath("-.slice:p:x", "x"), "p-x.scope");
    EXPECT_EQ(*resolvePath(":p:x", "x"), "system.slice/p-x.scope");
    EXPECT_EQ(*resolvePath("system.slice:p:my-thing.slice", "x"), "my.slice/my-thing.slice");
    EXPECT_FALSE(resolvePath("bad:p:x", "x")) << "slice without .slice";
    EXPECT_FALSE(resolvePath("a--b.slice:p:x", "x"));
    EXPECT_FALSE(resolvePath("a.slice:p", "x"));
    EXPECT_FALSE(resolvePath("a.slice:p:x:y", "x"));
    EXPECT_FALSE(resolvePath("a.slice:p:x/y", "x"));
}

TEST(CgroupOpen, SystemdWithoutSystemd) {
    if (sys::isDir("/run/systemd/system")) GTEST_SKIP() << "systemd runs here";
    auto m = open(Mode::V1, {.path = "berth/x", .systemd = true});
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().msg,
              "systemd cgroup driver requested but systemd is not running (no "
              "/run/systemd/system)");
}

TEST(CgroupOpen, RejectsBadPathsAndMissingHierarchies) {
    TempTree t;
    EXPECT_FALSE(open(Mode::V1, {.root = t.root(), .path = "/abs"}));
    EXPECT_FALSE(open(Mode::V1, {.root = t.root(), .path = "a/../b"}));
    auto m = open(Mode::V1, {.root = t.root(), .path = "x", .mounts = MountTable{}});
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().msg.find("no cgroup v1 hierarchy"), std::string::npos);
}

TEST(CgroupOpen, ExplicitMountTable) {
    TempTree t;
    t.file("somewhere/pids.max");
    MountTable mt;
    mt.v1["pids"] = t.root();
    auto m = open(Mode::V1, {.root = "/nonexistent", .path = "somewhere", .mounts = mt});
    ASSERT_TRUE(m);
    spec::Resources r;
    r.pids = spec::PidsResources{3};
    ASSERT_TRUE((*m)->apply(r));
    EXPECT_EQ(t.read("somewhere/pids.max"), "3");
}

}  // namespace
}  // namespace berth::cgroups
