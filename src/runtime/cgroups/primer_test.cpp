#include "runtime/cgroups/primer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "runtime/cgroups/cgroup.h"
#include "runtime/cgroups/cgroup_test_util.h"

namespace berth::cgroups {
namespace {

TEST(PrimerTest, PrefersTheCgroup2Line) {
    MountTable m;
    m.v1["cpu"] = "/sys/fs/cgroup/cpu";
    m.unified = "/sys/fs/cgroup/unified";
    auto f = procsFileFor("2:cpu,cpuacct:/a\n0::/svc/berthd.service\n", m);
    ASSERT_TRUE(f) << f.error().str();
    EXPECT_EQ(*f, "/sys/fs/cgroup/unified/svc/berthd.service/cgroup.procs");
    f = procsFileFor("0::/\n", m);
    ASSERT_TRUE(f);
    EXPECT_EQ(*f, "/sys/fs/cgroup/unified/cgroup.procs");
}

TEST(PrimerTest, FallsBackToAV1HierarchyByController) {
    MountTable m;
    m.v1["cpuacct"] = "/cg/cpu,cpuacct";
    m.v1["name=systemd"] = "/cg/systemd";
    // No cgroup2 mount: the "0::" line is ignored; "cpuacct" matches inside a joint list.
    auto f = procsFileFor("0::/x\n3:cpu,cpuacct:/k8s/pod\n1:name=systemd:/init.scope\n", m);
    ASSERT_TRUE(f) << f.error().str();
    EXPECT_EQ(*f, "/cg/cpu,cpuacct/k8s/pod/cgroup.procs");
}

TEST(PrimerTest, NoHierarchyIsAnError) {
    MountTable m;
    m.v1["memory"] = "/cg/memory";
    auto f = procsFileFor("1:cpu:/\n", m);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, ENOENT);
}

bool waitFor(const MigrationPrimer& p, unsigned long n) {
    for (int i = 0; i < 500 && p.done() < n; i++)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return p.done() >= n;
}

// On a fixture tree (plain files) the primer writes this process's pid into the file of the
// cgroup /proc/self/cgroup names, once per prime() that finds it idle.
TEST(PrimerTest, WritesOwnPidIntoOwnCgroup) {
    testing::TempTree t;
    t.dir("unified");
    auto self = sys::readFile("/proc/self/cgroup");
    ASSERT_TRUE(self);
    MountTable m;
    m.unified = t.path("unified");
    auto file = procsFileFor(*self, m);
    ASSERT_TRUE(file) << file.error().str();
    std::string rel = file->substr(t.root().size() + 1);
    t.file(rel, "");
    MigrationPrimer p(t.root());
    EXPECT_EQ(p.done(), 0u);
    p.prime();
    ASSERT_TRUE(waitFor(p, 1));
    EXPECT_EQ(t.read(rel), std::to_string(::getpid()));
    p.prime();
    ASSERT_TRUE(waitFor(p, 2));
}

TEST(PrimerTest, StopsAfterAFailedWrite) {
    testing::TempTree t;
    t.dir("unified");  // no cgroup.procs below it: the write fails
    MigrationPrimer p(t.root());
    p.prime();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    p.prime();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(p.done(), 0u);
}

}  // namespace
}  // namespace berth::cgroups
