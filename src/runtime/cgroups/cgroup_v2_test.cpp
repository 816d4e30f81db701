// cgroup v2 against a temp-dir fixture: one directory, v2 names and value formats.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/cgroups/cgroup.h"
#include "runtime/cgroups/cgroup_test_util.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups {
namespace {

using testing::RecordingOs;
using testing::TempTree;

constexpr const char* kCtrls = "cpuset cpu io memory hugetlb pids\n";

class V2Fixture : public ::testing::Test {
  protected:
    void SetUp() override {
        t.file("cgroup.controllers", kCtrls);
        t.file("cgroup.subtree_control", "cpu\n");
        t.file("berth/cgroup.controllers", kCtrls);
        t.file("berth/cgroup.subtree_control", "");
        for (auto f : {"cgroup.procs", "cgroup.controllers", "cgroup.subtree_control", "memory.max",
                       "memory.low", "memory.swap.max", "cpu.weight", "cpu.max.burst", "cpu.idle",
                       "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.max",
                       "hugetlb.2MB.max", "memory.high"}) {
            t.file(std::string("berth/ct/") + f);
        }
        t.file("berth/ct/cpu.max", "max 100000\n");
        t.file("berth/ct/cgroup.freeze", "0\n");
        t.file("berth/ct/cgroup.events", "populated 1\nfrozen 0\n");
        auto m = open(Mode::V2, {.root = t.root(), .path = "berth/ct"});
        ASSERT_TRUE(m) << m.error().str();
        mgr = std::move(m).value();
    }
    std::string ct(const std::string& f) { return t.read("berth/ct/" + f); }

    TempTree t;
    std::unique_ptr<Manager> mgr;
};

TEST_F(V2Fixture, ScanSeesAUnifiedRoot) {
    auto mt = scanMountTable(t.root());
    ASSERT_TRUE(mt);
    EXPECT_EQ(mt->unified, t.root());
    EXPECT_TRUE(mt->v1.empty());
    EXPECT_EQ(mgr->paths(), (std::map<std::string, std::string>{{"", t.path("berth/ct")}}));
}

TEST_F(V2Fixture, CreateEnablesControllersInEveryAncestor) {
    ASSERT_TRUE(mgr->create());
    // Already-enabled controllers are not written again.
    EXPECT_EQ(t.read("cgroup.subtree_control"), "+cpuset +io +memory +hugetlb +pids");
    EXPECT_EQ(t.read("berth/cgroup.subtree_control"), "+cpuset +cpu +io +memory +hugetlb +pids");
    EXPECT_EQ(ct("cgroup.subtree_control"), "") << "the leaf holds the process: untouched";
}

TEST_F(V2Fixture, MemorySwapIsSwapMinusLimit) {
    spec::Resources r;
    r.memory = spec::MemoryResources{.limit = 64 << 20, .reservation = 16 << 20, .swap = 96 << 20};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("memory.max"), "67108864");
    EXPECT_EQ(ct("memory.low"), "16777216");
    EXPECT_EQ(ct("memory.swap.max"), "33554432");
    r.memory = spec::MemoryResources{.limit = 64 << 20, .swap = -1};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("memory.swap.max"), "max");
    r.memory = spec::MemoryResources{.limit = 64 << 20, .swap = 64 << 20};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("memory.swap.max"), "0") << "swap == limit: no swap";
    r.memory = spec::MemoryResources{.limit = -1};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("memory.max"), "max");
    EXPECT_EQ(ct("memory.swap.max"), "max");
    r.memory = spec::MemoryResources{.limit = 64 << 20, .swap = 32 << 20};
    EXPECT_FALSE(mgr->apply(r)) << "memory+swap below memory";
    r.memory = spec::MemoryResources{.swap = 32 << 20};
    EXPECT_FALSE(mgr->apply(r)) << "swap without a limit";
}

TEST_F(V2Fixture, CpuWeightMaxBurstIdleCpuset) {
    EXPECT_EQ(v2::sharesToWeight(2), 1u);
    EXPECT_EQ(v2::sharesToWeight(1024), 39u);
    EXPECT_EQ(v2::sharesToWeight(262144), 10000u);
    spec::Resources r;
    r.cpu = spec::CpuResources{.shares = 1024,
                               .quota = 50000,
                               .burst = 2000,
                               .period = 200000,
                               .cpus = "0-1",
                               .mems = "0",
                               .idle = 1};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("cpu.weight"), "39");
    EXPECT_EQ(ct("cpu.max"), "50000 200000");
    EXPECT_EQ(ct("cpu.max.burst"), "2000");
    EXPECT_EQ(ct("cpu.idle"), "1");
    EXPECT_EQ(ct("cpuset.cpus"), "0-1");
    EXPECT_EQ(ct("cpuset.mems"), "0");
    // Period alone keeps the quota; quota alone keeps the period.
    r.cpu = spec::CpuResources{.period = 100000};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("cpu.max"), "50000 100000");
    r.cpu = spec::CpuResources{.quota = -1};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("cpu.max"), "max");
    r.cpu = spec::CpuResources{.realtimeRuntime = 5};
    EXPECT_FALSE(mgr->apply(r));
}

TEST_F(V2Fixture, PidsAndHugetlb) {
    spec::Resources r;
    r.pids = spec::PidsResources{10};
    r.hugepageLimits = {{"2MB", 8 << 20}};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("pids.max"), "10");
    EXPECT_EQ(ct("hugetlb.2MB.max"), "8388608");
    r.pids->limit = -1;
    r.hugepageLimits = {{"1GB", 1ull << 30}};
    auto st = mgr->apply(r);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find(t.path("berth/ct/hugetlb.1GB.max")), std::string::npos)
        << st.error().str();
    EXPECT_EQ(ct("pids.max"), "max");
}

TEST_F(V2Fixture, IoWeightConvertedUnlessBfq) {
    spec::Resources r;
    r.blockIO = spec::BlockIoResources{.weight = 500};
    r.blockIO->throttleReadBpsDevice.push_back({.major = 8, .minor = 0, .rate = 1000});
    r.blockIO->throttleWriteIOPSDevice.push_back({.major = 8, .minor = 0, .rate = 50});
    RecordingOs rec;
    {
        sys::ScopedOs s(rec);
        ASSERT_TRUE(mgr->apply(r));
    }
    EXPECT_EQ(ct("io.weight"), std::to_string(1 + (500 - 10) * 9999 / 990));
    EXPECT_EQ(rec.to("io.max"), (std::vector<std::string>{"8:0 rbps=1000", "8:0 wiops=50"}));
    t.file("berth/ct/io.bfq.weight");
    r.blockIO = spec::BlockIoResources{.weight = 500};
    r.blockIO->weightDevice.push_back({.major = 8, .minor = 16, .weight = 100});
    RecordingOs rec2;
    {
        sys::ScopedOs s(rec2);
        ASSERT_TRUE(mgr->apply(r));
    }
    EXPECT_EQ(rec2.to("io.bfq.weight"), (std::vector<std::string>{"500", "8:16 100"}));
}

TEST_F(V2Fixture, UnifiedWritesFilesAndRejectsPaths) {
    spec::Resources r;
    r.unified = {{"memory.high", "100000"}};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("memory.high"), "100000");
    r.unified = {{"../escape", "1"}};
    EXPECT_FALSE(mgr->apply(r));
    r.unified = {{"memory.nope", "1"}};
    auto st = mgr->apply(r);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("memory.nope"), std::string::npos);
    EXPECT_EQ(st.error().code, ENOENT);
}

TEST_F(V2Fixture, FreezeWaitsForCgroupEvents) {
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Thawed);
    t.file("berth/ct/cgroup.events", "populated 1\nfrozen 1\n");
    ASSERT_TRUE(mgr->freeze());
    EXPECT_EQ(ct("cgroup.freeze"), "1");
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Frozen);
    t.file("berth/ct/cgroup.events", "populated 1\nfrozen 0\n");
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Freezing);
    ASSERT_TRUE(mgr->thaw());
    EXPECT_EQ(ct("cgroup.freeze"), "0");
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Thawed);
}

TEST_F(V2Fixture, FreezeTimesOutWhenNeverFrozen) {
    auto st = mgr->freeze();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("freeze"), std::string::npos);
    EXPECT_EQ(ct("cgroup.freeze"), "0") << "thawed again after the failure";
}

TEST_F(V2Fixture, PidsRecursive) {
    t.file("berth/ct/cgroup.procs", "1\n2\n");
    t.file("berth/ct/child/cgroup.procs", "3\n");
    auto p = mgr->pids();
    ASSERT_TRUE(p);
    std::sort(p->begin(), p->end());
    EXPECT_EQ(*p, (std::vector<pid_t>{1, 2, 3}));
}

TEST_F(V2Fixture, StatsParsing) {
    t.file("berth/ct/cpu.stat",
           "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 2\n"
           "throttled_usec 30\n");
    t.file("berth/ct/memory.current", "4096\n");
    t.file("berth/ct/memory.max", "max\n");
    t.file("berth/ct/memory.peak", "8192\n");
    t.file("berth/ct/memory.stat", "anon 100\nfile 2048\n");
    t.file("berth/ct/memory.swap.current", "7\n");
    t.file("berth/ct/memory.events", "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n");
    t.file("berth/ct/pids.current", "2\n");
    t.file("berth/ct/pids.max", "max\n");
    t.file("berth/ct/io.stat",
           "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
           "8:16 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n");
    auto s = mgr->stats();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->cpuUsageNs, 1500000u);
    EXPECT_EQ(s->cpuUserNs, 1000000u);
    EXPECT_EQ(s->cpuSystemNs, 500000u);
    EXPECT_EQ(s->cpuThrottledPeriods, 2u);
    EXPECT_EQ(s->cpuThrottledNs, 30000u);
    EXPECT_EQ(s->memoryUsage, 4096u);
    EXPECT_EQ(s->memoryLimit, 0u);
    EXPECT_EQ(s->memoryMaxUsage, 8192u);
    EXPECT_EQ(s->memoryCache, 2048u);
    EXPECT_EQ(s->swapUsage, 7u);
    EXPECT_EQ(s->oomKills, 1u);
    EXPECT_EQ(s->pidsCurrent, 2u);
    EXPECT_EQ(s->pidsLimit, 0u);
    EXPECT_EQ(s->ioReadBytes, 101u);
    EXPECT_EQ(s->ioWriteBytes, 202u);
}

}  // namespace
}  // namespace berth::cgroups
