// Hybrid against a fixture: v1 controllers plus <root>/unified offering only hugetlb.
#include <gtest/gtest.h>

#include "runtime/cgroups/cgroup.h"
#include "runtime/cgroups/cgroup_test_util.h"

namespace berth::cgroups {
namespace {

using testing::RecordingOs;
using testing::TempTree;

class HybridFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        t.file("memory/c/memory.limit_in_bytes");
        t.file("memory/c/cgroup.procs");
        t.file("pids/c/pids.max");
        t.file("pids/c/cgroup.procs");
        t.file("freezer/c/freezer.state", "THAWED\n");
        t.file("freezer/c/cgroup.procs");
        t.file("unified/cgroup.controllers", "hugetlb\n");
        t.file("unified/cgroup.subtree_control", "");
        for (auto f : {"cgroup.procs", "cgroup.freeze", "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max",
                       "cgroup.controllers", "cgroup.subtree_control"}) {
            t.file(std::string("unified/c/") + f);
        }
        auto m = open(Mode::Hybrid, {.root = t.root(), .path = "c"});
        ASSERT_TRUE(m) << m.error().str();
        mgr = std::move(m).value();
    }
    TempTree t;
    std::unique_ptr<Manager> mgr;
};

TEST_F(HybridFixture, PathsCoverBothTrees) {
    auto p = mgr->paths();
    EXPECT_EQ(p.at(""), t.path("unified/c"));
    EXPECT_EQ(p.at("memory"), t.path("memory/c"));
    EXPECT_EQ(mgr->mode(), Mode::Hybrid);
}

// Enabling a controller in the unified root changes the whole host (crun then refuses to run),
// so create leaves it alone and only a hugetlb limit turns hugetlb on.
TEST_F(HybridFixture, CreateLeavesTheUnifiedRootAlone) {
    ASSERT_TRUE(mgr->create());
    EXPECT_EQ(t.read("unified/cgroup.subtree_control"), "");
    spec::Resources r;
    r.memory = spec::MemoryResources{.limit = 1 << 20};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(t.read("unified/cgroup.subtree_control"), "");
    r.hugepageLimits = {{"2MB", 2 << 20}};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(t.read("unified/cgroup.subtree_control"), "+hugetlb");
}

TEST_F(HybridFixture, HugetlbGoesToCgroup2AndTheRestToV1) {
    spec::Resources r;
    r.memory = spec::MemoryResources{.limit = 1 << 20};
    r.pids = spec::PidsResources{5};
    r.hugepageLimits = {{"2MB", 2 << 20}};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(t.read("memory/c/memory.limit_in_bytes"), "1048576");
    EXPECT_EQ(t.read("pids/c/pids.max"), "5");
    EXPECT_EQ(t.read("unified/c/hugetlb.2MB.max"), "2097152");
    EXPECT_EQ(t.read("unified/c/hugetlb.2MB.rsvd.max"), "2097152");
}

TEST_F(HybridFixture, UnifiedKeysGoToCgroup2) {
    spec::Resources r;
    r.unified = {{"hugetlb.2MB.max", "4096"}};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(t.read("unified/c/hugetlb.2MB.max"), "4096");
    r.unified = {{"memory.high", "1"}};
    auto st = mgr->apply(r);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("memory.high"), std::string::npos);
}

TEST_F(HybridFixture, AddTaskJoinsBothTrees) {
    RecordingOs rec;
    {
        sys::ScopedOs s(rec);
        ASSERT_TRUE(mgr->addTask(77));
    }
    EXPECT_EQ(rec.to("cgroup.procs").size(), 4u);  // memory pids freezer + unified
    EXPECT_EQ(t.read("unified/c/cgroup.procs"), "77");
}

TEST_F(HybridFixture, FreezeUsesTheV1Freezer) {
    ASSERT_TRUE(mgr->freeze());
    EXPECT_EQ(t.read("freezer/c/freezer.state"), "FROZEN");
    EXPECT_EQ(t.read("unified/c/cgroup.freeze"), "");
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Frozen);
    ASSERT_TRUE(mgr->thaw());
}

TEST_F(HybridFixture, PidsComeFromThePidsHierarchy) {
    t.file("pids/c/cgroup.procs", "10\n11\n");
    auto p = mgr->pids();
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, (std::vector<pid_t>{10, 11}));
}

}  // namespace
}  // namespace berth::cgroups
