// cgroup v1 against a temp-dir fixture: exact file contents and write order.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/cgroups/cgroup.h"
#include "runtime/cgroups/cgroup_test_util.h"

namespace berth::cgroups {
namespace {

using testing::RecordingOs;
using testing::TempTree;

class V1Fixture : public ::testing::Test {
  protected:
    void SetUp() override {
        // A co-mounted cpu,cpuacct with the usual symlinks, which the scan must skip.
        t.dir("cpu,cpuacct/berth/ct");
        ::symlink("cpu,cpuacct", t.path("cpu").c_str());
        ::symlink("cpu,cpuacct", t.path("cpuacct").c_str());
        for (auto f : {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us",
                       "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle", "cgroup.procs"}) {
            t.file(std::string("cpu,cpuacct/berth/ct/") + f);
        }
        t.file("cpuset/cpuset.cpus", "0-3\n");
        t.file("cpuset/cpuset.mems", "0\n");
        for (auto d : {"cpuset/berth/", "cpuset/berth/ct/"}) {
            t.file(std::string(d) + "cpuset.cpus", "\n");
            t.file(std::string(d) + "cpuset.mems", "\n");
        }
        t.file("cpuset/berth/ct/cgroup.procs");
        for (auto f :
             {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
              "memory.swappiness", "memory.oom_control", "cgroup.procs"}) {
            t.file(std::string("memory/berth/ct/") + f);
        }
        t.file("memory/berth/ct/memory.limit_in_bytes", "9223372036854771712\n");
        t.file("pids/berth/ct/pids.max", "max\n");
        t.file("pids/berth/ct/cgroup.procs");
        for (auto f : {"devices.allow", "devices.deny", "cgroup.procs"}) {
            t.file(std::string("devices/berth/ct/") + f);
        }
        t.file("freezer/berth/ct/freezer.state", "THAWED\n");
        t.file("freezer/berth/ct/cgroup.procs");
        for (auto f :
             {"blkio.bfq.weight", "blkio.bfq.weight_device", "blkio.throttle.read_bps_device",
              "blkio.throttle.write_iops_device", "cgroup.procs"}) {
            t.file(std::string("blkio/berth/ct/") + f);
        }
        t.file("hugetlb/berth/ct/hugetlb.2MB.limit_in_bytes");
        t.file("hugetlb/berth/ct/cgroup.procs");
        t.file("systemd/berth/ct/cgroup.procs");
        auto m = open(Mode::V1, {.root = t.root(), .path = "berth/ct"});
        ASSERT_TRUE(m) << m.error().str();
        mgr = std::move(m).value();
    }
    std::string ct(const std::string& hier, const std::string& file) {
        return t.read(hier + "/berth/ct/" + file);
    }

    TempTree t;
    std::unique_ptr<Manager> mgr;
};

TEST_F(V1Fixture, ScanFindsCoMountedHierarchiesAndSkipsSymlinks) {
    auto mt = scanMountTable(t.root());
    ASSERT_TRUE(mt);
    EXPECT_EQ(mt->v1.at("cpu"), t.path("cpu,cpuacct"));
    EXPECT_EQ(mt->v1.at("cpuacct"), t.path("cpu,cpuacct"));
    EXPECT_EQ(mt->v1.at("name=systemd"), t.path("systemd"));
    EXPECT_EQ(mt->unified, "");
    auto p = mgr->paths();
    EXPECT_EQ(p.at("cpu"), t.path("cpu,cpuacct/berth/ct"));
    EXPECT_EQ(p.at("memory"), t.path("memory/berth/ct"));
    EXPECT_EQ(p.count(""), 0u);
}

TEST_F(V1Fixture, CreateCopiesCpusetFromParentsOnTheWayDown) {
    ASSERT_TRUE(mgr->create());
    EXPECT_EQ(t.read("cpuset/berth/cpuset.cpus"), "0-3");
    EXPECT_EQ(t.read("cpuset/berth/cpuset.mems"), "0");
    EXPECT_EQ(ct("cpuset", "cpuset.cpus"), "0-3");
    EXPECT_EQ(ct("cpuset", "cpuset.mems"), "0");
}

TEST_F(V1Fixture, CreateMakesDirsInEveryHierarchy) {
    TempTree u;
    u.dir("memory");
    u.dir("pids");
    auto m = open(Mode::V1, {.root = u.root(), .path = "a/b"});
    ASSERT_TRUE(m);
    ASSERT_TRUE((*m)->create());
    EXPECT_TRUE(u.exists("memory/a/b"));
    EXPECT_TRUE(u.exists("pids/a/b"));
    EXPECT_TRUE((*m)->create()) << "idempotent";
}

TEST_F(V1Fixture, MemoryFiles) {
    spec::Resources r;
    r.memory = spec::MemoryResources{.limit = 64 << 20,
                                     .reservation = 32 << 20,
                                     .swap = 128 << 20,
                                     .swappiness = 10,
                                     .disableOOMKiller = true};
    RecordingOs rec;
    {
        sys::ScopedOs s(rec);
        ASSERT_TRUE(mgr->apply(r));
    }
    EXPECT_EQ(ct("memory", "memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(ct("memory", "memory.memsw.limit_in_bytes"), "134217728");
    EXPECT_EQ(ct("memory", "memory.soft_limit_in_bytes"), "33554432");
    EXPECT_EQ(ct("memory", "memory.swappiness"), "10");
    EXPECT_EQ(ct("memory", "memory.oom_control"), "1");
    // From unlimited, the limit goes down first so memsw never drops below it.
    ASSERT_GE(rec.writes.size(), 2u);
    EXPECT_EQ(rec.writes[0].first, "memory.limit_in_bytes");
    EXPECT_EQ(rec.writes[1].first, "memory.memsw.limit_in_bytes");

    // Raising both: memsw first.
    r.memory = spec::MemoryResources{.limit = 256 << 20, .swap = 512 << 20};
    RecordingOs rec2;
    {
        sys::ScopedOs s(rec2);
        ASSERT_TRUE(mgr->apply(r));
    }
    ASSERT_EQ(rec2.writes.size(), 2u);
    EXPECT_EQ(rec2.writes[0],
              std::make_pair(std::string("memory.memsw.limit_in_bytes"), std::string("536870912")));
    EXPECT_EQ(ct("memory", "memory.limit_in_bytes"), "268435456");
    EXPECT_EQ(ct("memory", "memory.soft_limit_in_bytes"), "33554432") << "untouched";
}

TEST_F(V1Fixture, CpuAndCpusetFiles) {
    spec::Resources r;
    r.cpu = spec::CpuResources{.shares = 512,
                               .quota = 50000,
                               .burst = 1000,
                               .period = 100000,
                               .realtimeRuntime = 950,
                               .realtimePeriod = 1000,
                               .cpus = "1",
                               .mems = "0",
                               .idle = 0};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.shares"), "512");
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.cfs_burst_us"), "1000");
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.rt_runtime_us"), "950");
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.rt_period_us"), "1000");
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.idle"), "0");
    EXPECT_EQ(ct("cpuset", "cpuset.cpus"), "1");
    EXPECT_EQ(ct("cpuset", "cpuset.mems"), "0");
    // Update: only what is set changes.
    spec::Resources u;
    u.cpu = spec::CpuResources{.quota = -1};
    ASSERT_TRUE(mgr->apply(u));
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.cfs_quota_us"), "-1");
    EXPECT_EQ(ct("cpu,cpuacct", "cpu.shares"), "512");
}

TEST_F(V1Fixture, PidsLimit) {
    spec::Resources r;
    r.pids = spec::PidsResources{10};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("pids", "pids.max"), "10");
    r.pids->limit = -1;
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("pids", "pids.max"), "max");
    r.pids->limit = 0;
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("pids", "pids.max"), "max");
}

TEST_F(V1Fixture, BlkioUsesBfqFilesWhenCfqIsAbsent) {
    spec::Resources r;
    r.blockIO = spec::BlockIoResources{.weight = 300};
    r.blockIO->weightDevice.push_back({.major = 8, .minor = 0, .weight = 200});
    r.blockIO->throttleReadBpsDevice.push_back({.major = 8, .minor = 0, .rate = 1048576});
    r.blockIO->throttleWriteIOPSDevice.push_back({.major = 8, .minor = 16, .rate = 100});
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("blkio", "blkio.bfq.weight"), "300");
    EXPECT_EQ(ct("blkio", "blkio.bfq.weight_device"), "8:0 200");
    EXPECT_EQ(ct("blkio", "blkio.throttle.read_bps_device"), "8:0 1048576");
    EXPECT_EQ(ct("blkio", "blkio.throttle.write_iops_device"), "8:16 100");
}

TEST_F(V1Fixture, DevicesDenyAllThenRulesInOrder) {
    spec::Resources r;
    r.devices = {{.allow = false, .access = "rwm"},
                 {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"},
                 {.allow = true, .type = "c", .major = 136, .access = "rw"},
                 {.allow = false, .type = "c", .major = 1, .minor = 3, .access = "m"},
                 {.allow = true, .type = "a", .major = 5, .minor = 1, .access = "r"}};
    RecordingOs rec;
    {
        sys::ScopedOs s(rec);
        ASSERT_TRUE(mgr->apply(r));
    }
    std::vector<std::pair<std::string, std::string>> want = {
        {"devices.deny", "a"},          {"devices.deny", "a *:* rwm"},
        {"devices.allow", "c 1:3 rwm"}, {"devices.allow", "c 136:* rw"},
        {"devices.deny", "c 1:3 m"},    {"devices.allow", "c 5:1 r"},
        {"devices.allow", "b 5:1 r"}};
    EXPECT_EQ(rec.writes, want);
}

TEST_F(V1Fixture, HugetlbAndClearErrors) {
    spec::Resources r;
    r.hugepageLimits = {{"2MB", 4 << 20}};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(ct("hugetlb", "hugetlb.2MB.limit_in_bytes"), "4194304");
    r.hugepageLimits = {{"1GB", 1ull << 30}};
    auto st = mgr->apply(r);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("hugetlb.1GB.limit_in_bytes"), std::string::npos)
        << st.error().str();
    r.hugepageLimits = {{"../x", 1}};
    EXPECT_FALSE(mgr->apply(r));
}

TEST_F(V1Fixture, MissingFileErrorNamesTheFile) {
    ::unlink(t.path("memory/berth/ct/memory.swappiness").c_str());
    spec::Resources r;
    r.memory = spec::MemoryResources{.swappiness = 5};
    auto st = mgr->apply(r);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ENOENT);
    EXPECT_EQ(st.error().str(),
              "write 5 to " + t.path("memory/berth/ct/memory.swappiness") + ": ENOENT");
}

TEST_F(V1Fixture, UnifiedIsAnErrorNamingTheKey) {
    spec::Resources r;
    r.unified = {{"memory.high", "1000"}};
    auto st = mgr->apply(r);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("memory.high"), std::string::npos);
}

TEST_F(V1Fixture, NetworkWithoutControllersIsSkipped) {
    spec::Resources r;
    r.network = spec::NetworkResources{.classID = 0x100001};
    r.network->priorities.push_back({"eth0", 5});
    EXPECT_TRUE(mgr->apply(r));
    t.file("net_cls,net_prio/berth/ct/net_cls.classid");
    t.file("net_cls,net_prio/berth/ct/net_prio.ifpriomap");
    auto m = open(Mode::V1, {.root = t.root(), .path = "berth/ct"});
    ASSERT_TRUE(m);
    ASSERT_TRUE((*m)->apply(r));
    EXPECT_EQ(t.read("net_cls,net_prio/berth/ct/net_cls.classid"), "1048577");
    EXPECT_EQ(t.read("net_cls,net_prio/berth/ct/net_prio.ifpriomap"), "eth0 5");
}

TEST_F(V1Fixture, FreezerStates) {
    auto s = mgr->freezerState();
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, FreezerState::Thawed);
    ASSERT_TRUE(mgr->freeze());
    EXPECT_EQ(ct("freezer", "freezer.state"), "FROZEN");
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Frozen);
    t.file("freezer/berth/ct/freezer.state", "FREEZING\n");
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Freezing);
    ASSERT_TRUE(mgr->thaw());
    EXPECT_EQ(ct("freezer", "freezer.state"), "THAWED");
}

TEST_F(V1Fixture, PidsAreRecursiveInThePidsHierarchy) {
    t.file("pids/berth/ct/cgroup.procs", "12\n13\n");
    t.file("pids/berth/ct/sub/cgroup.procs", "14\n");
    t.file("pids/berth/ct/sub/deeper/cgroup.procs", "15\n");
    t.file("memory/berth/ct/cgroup.procs", "99\n");  // not the hierarchy pids() reads
    auto p = mgr->pids();
    ASSERT_TRUE(p);
    std::sort(p->begin(), p->end());
    EXPECT_EQ(*p, (std::vector<pid_t>{12, 13, 14, 15}));
}

TEST_F(V1Fixture, AddTaskJoinsEveryHierarchyOnce) {
    RecordingOs rec;
    {
        sys::ScopedOs s(rec);
        ASSERT_TRUE(mgr->addTask(4242));
    }
    // cpu,cpuacct cpuset memory pids devices freezer blkio hugetlb systemd
    EXPECT_EQ(rec.to("cgroup.procs").size(), 9u);
    EXPECT_EQ(ct("systemd", "cgroup.procs"), "4242");
}

TEST_F(V1Fixture, StatsParsing) {
    t.file("cpu,cpuacct/berth/ct/cpuacct.usage", "123456789\n");
    t.file("cpu,cpuacct/berth/ct/cpuacct.usage_user", "100\n");
    t.file("cpu,cpuacct/berth/ct/cpuacct.usage_sys", "200\n");
    t.file("cpu,cpuacct/berth/ct/cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 999\n");
    t.file("memory/berth/ct/memory.usage_in_bytes", "1000\n");
    t.file("memory/berth/ct/memory.limit_in_bytes", "67108864\n");
    t.file("memory/berth/ct/memory.max_usage_in_bytes", "2000\n");
    t.file("memory/berth/ct/memory.memsw.usage_in_bytes", "1500\n");
    t.file("memory/berth/ct/memory.stat", "cache 300\nrss 700\ntotal_cache 300\n");
    t.file("memory/berth/ct/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    t.file("pids/berth/ct/pids.current", "3\n");
    t.file("pids/berth/ct/pids.max", "10\n");
    t.file(
        "blkio/berth/ct/blkio.throttle.io_service_bytes_recursive",
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:16 Read 1\n8:0 Total 12288\nTotal 12289\n");
    auto s = mgr->stats();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->cpuUsageNs, 123456789u);
    EXPECT_EQ(s->cpuUserNs, 100u);
    EXPECT_EQ(s->cpuSystemNs, 200u);
    EXPECT_EQ(s->cpuThrottledPeriods, 3u);
    EXPECT_EQ(s->cpuThrottledNs, 999u);
    EXPECT_EQ(s->memoryUsage, 1000u);
    EXPECT_EQ(s->memoryLimit, 67108864u);
    EXPECT_EQ(s->memoryMaxUsage, 2000u);
    EXPECT_EQ(s->memoryCache, 300u);
    EXPECT_EQ(s->swapUsage, 500u);
    EXPECT_EQ(s->oomKills, 2u);
    EXPECT_EQ(s->pidsCurrent, 3u);
    EXPECT_EQ(s->pidsLimit, 10u);
    EXPECT_EQ(s->ioReadBytes, 4097u);
    EXPECT_EQ(s->ioWriteBytes, 8192u);
}

TEST(CgroupV1, CpuacctStatTicksWhenNoUsageUser) {
    TempTree t;
    t.file("cpuacct/x/cpuacct.stat", "user 5\nsystem 7\n");
    t.file("cpuacct/x/cpuacct.usage", "1\n");
    auto m = open(Mode::V1, {.root = t.root(), .path = "x"});
    ASSERT_TRUE(m);
    auto s = (*m)->stats();
    ASSERT_TRUE(s);
    uint64_t tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    EXPECT_EQ(s->cpuUserNs, 5 * tick);
    EXPECT_EQ(s->cpuSystemNs, 7 * tick);
}

}  // namespace
}  // namespace berth::cgroups
