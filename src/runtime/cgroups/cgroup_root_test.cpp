// The real cgroup tree of this host (root only): create, limit, join, freeze, kill, destroy.
#include <gtest/gtest.h>
#include <sstream>
#include <set>
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "runtime/cgroups/cgfs.h"
#include "runtime/cgroups/cgroup.h"

namespace berth::cgroups {
namespace {

class RealCgroup : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        auto m = detect();
        ASSERT_TRUE(m) << m.error().str();
        mode = *m;
        top = "berth-test-" + std::to_string(std::random_device{}() % 1000000);
        auto mg = open(mode, {.path = top + "/ct"});
        ASSERT_TRUE(mg) << mg.error().str();
        mgr = std::move(mg).value();
        ASSERT_TRUE(mgr->create()) << "create";
    }
    void TearDown() override {
        if (child > 0) {
            ::kill(child, SIGKILL);
            if (mgr) (void)mgr->thaw();
            ::waitpid(child, nullptr, 0);
        }
        if (!mgr) return;
        (void)mgr->destroy();
        for (const auto& [k, p] : mgr->paths()) ::rmdir(p.substr(0, p.rfind('/')).c_str());
    }
    std::string file(const std::string& hier, const std::string& f) {
        auto s = cgfs::readTrimmed(mgr->paths().at(hier), f);
        return s ? *s : "<" + s.error().str() + ">";
    }

    Mode mode = Mode::V1;
    std::string top;
    std::unique_ptr<Manager> mgr;
    pid_t child = -1;
};

TEST_F(RealCgroup, Lifecycle) {
    spec::Resources r;
    r.memory = spec::MemoryResources{.limit = 64 << 20};
    r.pids = spec::PidsResources{10};
    r.cpu = spec::CpuResources{.quota = 50000, .period = 100000};
    auto st = mgr->apply(r);
    ASSERT_TRUE(st) << st.error().str();
    bool v2 = mode == Mode::V2;
    if (v2) {
        EXPECT_EQ(file("", "memory.max"), "67108864");
        EXPECT_EQ(file("", "pids.max"), "10");
        EXPECT_EQ(file("", "cpu.max"), "50000 100000");
    } else {
        EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "67108864");
        EXPECT_EQ(file("pids", "pids.max"), "10");
        EXPECT_EQ(file("cpu", "cpu.cfs_quota_us"), "50000");
        EXPECT_EQ(file("cpu", "cpu.cfs_period_us"), "100000");
        EXPECT_NE(file("cpuset", "cpuset.cpus"), "") << "primed from the parent";
    }

    child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        for (;;) ::pause();
    }
    ASSERT_TRUE(mgr->addTask(child));
    auto pids = mgr->pids();
    ASSERT_TRUE(pids) << pids.error().str();
    EXPECT_NE(std::find(pids->begin(), pids->end(), child), pids->end());
    if (mode == Mode::Hybrid) {
        EXPECT_EQ(file("", "cgroup.procs"), std::to_string(child)) << "joined cgroup2 too";
    }

    auto stats = mgr->stats();
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->memoryLimit, 64u << 20);
    EXPECT_EQ(stats->pidsLimit, 10u);
    EXPECT_GE(stats->pidsCurrent, 1u);

    ASSERT_TRUE(mgr->freeze());
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Frozen);
    if (!v2) {
        EXPECT_EQ(file("freezer", "freezer.state"), "FROZEN");
    }
    ASSERT_TRUE(mgr->thaw());
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Thawed);

    ASSERT_TRUE(mgr->killAll(SIGKILL));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    child = -1;
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);

    auto paths = mgr->paths();
    auto d = mgr->destroy();
    ASSERT_TRUE(d) << d.error().str();
    for (const auto& [k, p] : paths) EXPECT_FALSE(sys::exists(p)) << p;
    EXPECT_TRUE(mgr->destroy()) << "a second destroy finds nothing: fine";
}

// Tests here enable controllers in the unified tree (hugetlb limits, the v2 path), a host-wide
// change: crun refuses a host whose cgroup2 root delegates controllers. Restore the tree at exit.
class RestoreUnifiedTree : public ::testing::Environment {
public:
    void SetUp() override { before_ = enabled(kUnified); }
    void TearDown() override {
        std::vector<std::string> dirs;
        collect(kUnified, dirs);
        // Deepest first: a parent cannot drop a controller a child still delegates.
        std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) {
            return a.size() > b.size();
        });
        for (const auto& d : dirs) {
            for (const auto& c : enabled(d)) {
                if (!before_.count(c)) (void)sys::writeFile(d + "/cgroup.subtree_control", "-" + c);
            }
        }
    }

private:
    static constexpr const char* kUnified = "/sys/fs/cgroup/unified";
    static std::set<std::string> enabled(const std::string& d) {
        std::set<std::string> out;
        std::istringstream in(sys::readFile(d + "/cgroup.subtree_control").valueOr(""));
        for (std::string w; in >> w;) out.insert(w);
        return out;
    }
    static void collect(const std::string& d, std::vector<std::string>& out) {
        out.push_back(d);
        if (DIR* dir = opendir(d.c_str())) {
            while (struct dirent* e = readdir(dir)) {
                std::string n = e->d_name;
                if (e->d_type == DT_DIR && n != "." && n != "..") collect(d + "/" + n, out);
            }
            closedir(dir);
        }
    }
    std::set<std::string> before_;
};
const auto* const kRestoreUnified =
    ::testing::AddGlobalTestEnvironment(new RestoreUnifiedTree);

TEST_F(RealCgroup, KernelErrorNamesTheFile) {
    if (mode == Mode::V2) GTEST_SKIP() << "v1 file names";
    spec::Resources r;
    r.cpu = spec::CpuResources{.quota = 100};  // below the kernel's 1ms minimum
    auto st = mgr->apply(r);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().str(),
              "write 100 to " + mgr->paths().at("cpu") + "/cpu.cfs_quota_us: EINVAL");
}

TEST_F(RealCgroup, HugetlbOnHybridGoesToCgroup2) {
    if (mode != Mode::Hybrid) GTEST_SKIP() << "hybrid host only";
    std::string uni = mgr->paths().at("");
    EXPECT_EQ(uni, "/sys/fs/cgroup/unified/" + top + "/ct");
    spec::Resources r;
    r.hugepageLimits = {{"2MB", 4 << 20}};
    auto st = mgr->apply(r);
    if (!sys::isDir("/sys/kernel/mm/hugepages/hugepages-2048kB")) {
        ASSERT_FALSE(st);
        EXPECT_NE(st.error().msg.find("hugetlb.2MB.max"), std::string::npos) << st.error().str();
        return;
    }
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_TRUE(sys::exists(uni + "/hugetlb.2MB.max"));
    EXPECT_EQ(file("", "hugetlb.2MB.max"), "4194304");
}

TEST_F(RealCgroup, DevicesV1ListAfterApply) {
    if (mode == Mode::V2) GTEST_SKIP() << "v1 devices controller";
    spec::Resources r;
    r.devices = {{.allow = false, .access = "rwm"},
                 {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"},
                 {.allow = true, .type = "c", .major = 136, .access = "rw"}};
    ASSERT_TRUE(mgr->apply(r));
    EXPECT_EQ(file("devices", "devices.list"), "c 1:3 rwm\nc 136:* rw");
}

// The v2 code path on a real cgroup2 tree (the unified mount of a hybrid host works too).
TEST(RealCgroupV2, FreezeKillDestroy) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto mode = detect();
    ASSERT_TRUE(mode);
    std::string root = *mode == Mode::Hybrid ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
    if (*mode == Mode::V1) GTEST_SKIP() << "no cgroup2 tree";
    std::string top = "berth-test-" + std::to_string(std::random_device{}() % 1000000);
    auto m = open(Mode::V2, {.root = root, .path = top + "/ct"});
    ASSERT_TRUE(m) << m.error().str();
    auto& mgr = *m;
    ScopeGuard cleanup([&] {
        (void)mgr->destroy();
        ::rmdir((root + "/" + top).c_str());
    });
    ASSERT_TRUE(mgr->create());
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        for (;;) ::pause();
    }
    ScopeGuard reap([&] {
        ::kill(child, SIGKILL);
        (void)mgr->thaw();
        ::waitpid(child, nullptr, 0);
    });
    ASSERT_TRUE(mgr->addTask(child));
    EXPECT_EQ(*mgr->pids(), std::vector<pid_t>{child});
    auto fr = mgr->freeze();
    ASSERT_TRUE(fr) << fr.error().str();
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Frozen);
    ASSERT_TRUE(mgr->thaw());
    EXPECT_EQ(*mgr->freezerState(), FreezerState::Thawed);
    ASSERT_TRUE(mgr->killAll(SIGKILL));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    reap.cancel();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ASSERT_TRUE(mgr->destroy());
    EXPECT_FALSE(sys::exists(root + "/" + top + "/ct"));
}

}  // namespace
}  // namespace berth::cgroups
