#include "runtime/process_attrs.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>

#include "runtime/testing/in_child.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "common/sys.h"

namespace berth {
namespace {

using test::Child;
using test::inChild;

std::string statusField(const std::string& name) {
    auto s = sys::readFile("/proc/self/status");
    if (!s) return "";
    auto pos = s->find("\n" + name + ":");
    if (pos == std::string::npos) return "";
    pos = s->find_first_not_of(" \t", pos + name.size() + 2);
    return s->substr(pos, s->find('\n', pos) - pos);
}

spec::Process withRlimits(std::vector<spec::Rlimit> r) {
    spec::Process p;
    p.rlimits = std::move(r);
    return p;
}

TEST(Rlimits, HardAboveCurrentNeedsCapSysResource) {
    struct rlimit cur;
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &cur), 0);
    bool sysResource = (std::stoull(statusField("CapEff"), nullptr, 16) >> 24) & 1;
    if (cur.rlim_max != 20000 || sysResource)
        GTEST_SKIP() << "expects the test machine: hard nofile 20000, no CAP_SYS_RESOURCE";
    auto st = attrs::validate(withRlimits({{"RLIMIT_NOFILE", 1024, 1048576}}), nullptr);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg,
              "process.rlimits[0]: RLIMIT_NOFILE hard limit 1048576 is above the current hard "
              "limit 20000 (raising it needs CAP_SYS_RESOURCE)");
    EXPECT_TRUE(attrs::validate(withRlimits({{"RLIMIT_NOFILE", 1024, 20000}}), nullptr));
}

TEST(Rlimits, ValidateNamesAndOrder) {
    auto st = attrs::validate(withRlimits({{"RLIMIT_CORE", 0, 0}, {"RLIMIT_NOFILE", 2000, 1000}}),
                              nullptr);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg,
              "process.rlimits[1]: RLIMIT_NOFILE soft limit 2000 is above the hard limit 1000");
    st = attrs::validate(withRlimits({{"RLIMIT_BOGUS", 1, 1}}), nullptr);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");
    EXPECT_FALSE(
        attrs::validate(withRlimits({{"RLIMIT_CORE", 0, 0}, {"RLIMIT_CORE", 0, 0}}), nullptr));
}

TEST(Rlimits, ApplyInChild) {
    Child c = inChild([]() -> std::string {
        if (auto st = attrs::applyRlimits({{"RLIMIT_NOFILE", 1000, 2000}, {"RLIMIT_CORE", 0, 0}});
            !st)
            return st.error().str();
        struct rlimit r;
        getrlimit(RLIMIT_NOFILE, &r);
        if (r.rlim_cur != 1000 || r.rlim_max != 2000)
            return fmt::format("NOFILE is {}/{}", r.rlim_cur, r.rlim_max);
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(ProcessAttrs, NoNewPrivileges) {
    Child c = inChild([]() -> std::string {
        if (auto st = attrs::applyNoNewPrivileges(); !st) return st.error().str();
        std::string v = statusField("NoNewPrivs");
        return v == "1" ? "" : "NoNewPrivs: " + v;
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(ProcessAttrs, OomScoreAdj) {
    Child c = inChild([]() -> std::string {
        if (auto st = attrs::applyOomScoreAdj(567); !st) return st.error().str();
        auto v = sys::readFile("/proc/self/oom_score_adj");
        return v && *v == "567\n" ? "" : "oom_score_adj reads " + v.valueOr("?");
    });
    EXPECT_TRUE(c.ok()) << c.msg;
    EXPECT_FALSE(attrs::validate(
        [] {
            spec::Process p;
            p.oomScoreAdj = 1001;
            return p;
        }(),
        nullptr));
}

TEST(OpenProcFile, RefusesPathsOutsideProc) {
    auto fd = attrs::openProcFile("../etc/passwd", O_RDONLY);
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().code, EXDEV);
    EXPECT_FALSE(attrs::openProcFile("/etc/passwd", O_RDONLY));
    // /proc/mounts is a symlink to self/mounts: not followed.
    EXPECT_FALSE(attrs::openProcFile("mounts", O_RDONLY));

    auto ok = attrs::openProcFile("self/status", O_RDONLY);
    ASSERT_TRUE(ok) << ok.error().str();
    auto text = sys::readFd(ok->get());
    ASSERT_TRUE(text);
    EXPECT_NE(text->find(fmt::format("\nPid:\t{}\n", getpid())), std::string::npos);
    EXPECT_TRUE(attrs::openProcFile("thread-self/comm", O_RDONLY));
}

TEST(OpenProcFile, RefusesAFileMountedOverAProcFile) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    Child c = inChild([]() -> std::string {
        if (unshare(CLONE_NEWNS) < 0) return "unshare";
        if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) return "private";
        char tmp[] = "/tmp/berth-oom-decoy-XXXXXX";
        int fd = mkstemp(tmp);
        if (fd < 0) return "mkstemp";
        close(fd);
        std::string target = fmt::format("/proc/{}/oom_score_adj", getpid());
        int rc = mount(tmp, target.c_str(), nullptr, MS_BIND, nullptr);
        unlink(tmp);
        if (rc < 0) return "bind mount over " + target;
        if (attrs::applyOomScoreAdj(100)) return "wrote through a bind mount over oom_score_adj";
        // A proc file mounted over another one is refused too (crosses a mount).
        umount2(target.c_str(), MNT_DETACH);
        std::string other = fmt::format("/proc/{}/comm", getpid());
        if (mount(other.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) < 0) return "bind 2";
        if (attrs::openProcFile("self/oom_score_adj", O_WRONLY)) return "opened a proc overmount";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(ProcessAttrs, Personality) {
    spec::Personality p{"LINUX32", {}};
    Child c = inChild([&]() -> std::string {
        if (auto st = attrs::applyPersonality(p); !st) return st.error().str();
        struct utsname u;
        uname(&u);
        return std::string(u.machine) == "i686" ? "" : std::string("machine ") + u.machine;
    });
    EXPECT_TRUE(c.ok()) << c.msg;
    spec::Linux lx;
    lx.personality = spec::Personality{"LINUX64", {}};
    auto st = attrs::validate(spec::Process{}, &lx);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "linux.personality.domain: unknown domain \"LINUX64\"");
    lx.personality = spec::Personality{"LINUX", {"ADDR_NO_RANDOMIZE", "NOPE"}};
    EXPECT_FALSE(attrs::validate(spec::Process{}, &lx));
}

TEST(ProcessAttrs, IoPriority) {
    Child c = inChild([]() -> std::string {
        if (auto st = attrs::applyIoPriority({"IOPRIO_CLASS_BE", 5}); !st) return st.error().str();
        long v = ::syscall(SYS_ioprio_get, 1, 0);
        return v == ((2 << 13) | 5) ? "" : fmt::format("ioprio is {:#x}", v);
    });
    EXPECT_TRUE(c.ok()) << c.msg;
    spec::Process p;
    p.ioPriority = spec::IoPriority{"IOPRIO_CLASS_XX", 0};
    EXPECT_FALSE(attrs::validate(p, nullptr));
    p.ioPriority = spec::IoPriority{"IOPRIO_CLASS_IDLE", 8};
    EXPECT_FALSE(attrs::validate(p, nullptr));
}

TEST(ProcessAttrs, Scheduler) {
    spec::Scheduler s;
    s.policy = "SCHED_BATCH";
    s.nice = 7;
    Child c = inChild([&]() -> std::string {
        if (auto st = attrs::applyScheduler(s); !st) return st.error().str();
        if (sched_getscheduler(0) != SCHED_BATCH) return "policy not SCHED_BATCH";
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, 0);
        return nice == 7 ? "" : fmt::format("nice {}", nice);
    });
    EXPECT_TRUE(c.ok()) << c.msg;

    spec::Process p;
    p.scheduler = spec::Scheduler{"SCHED_FIFO", 0, 0, {}, 0, 0, 0};
    auto st = attrs::validate(p, nullptr);
    ASSERT_FALSE(st);  // FIFO needs priority 1-99
    p.scheduler = spec::Scheduler{"SCHED_OTHER", 0, 0, {"SCHED_FLAG_BOGUS"}, 0, 0, 0};
    st = attrs::validate(p, nullptr);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "process.scheduler.flags[0]: unknown flag \"SCHED_FLAG_BOGUS\"");
    p.scheduler = spec::Scheduler{"SCHED_TURBO", 0, 0, {}, 0, 0, 0};
    EXPECT_FALSE(attrs::validate(p, nullptr));
}

TEST(ProcessAttrs, CpuList) {
    auto l = attrs::parseCpuList("0-3,7,2");
    ASSERT_TRUE(l) << l.error().str();
    EXPECT_EQ(*l, (std::vector<int>{0, 1, 2, 3, 7}));
    for (const char* bad : {"", "1,", ",1", "3-1", "a", "1-", "-1", "1,,2"})
        EXPECT_FALSE(attrs::parseCpuList(bad)) << bad;
    auto st = attrs::validate(
        [] {
            spec::Process p;
            p.execCPUAffinityFinal = "0-x";
            return p;
        }(),
        nullptr);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "process.execCPUAffinity.final: invalid CPU list \"0-x\"");
}

TEST(ProcessAttrs, CpuAffinity) {
    Child c = inChild([]() -> std::string {
        if (auto st = attrs::applyCpuAffinity("0"); !st) return st.error().str();
        cpu_set_t set;
        sched_getaffinity(0, sizeof set, &set);
        return CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set) ? "" : "affinity is not {0}";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(ProcessAttrs, ApplyUser) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    spec::User u;
    u.uid = 1234;
    u.gid = 2345;
    u.additionalGids = {3456, 4567};
    u.umask = 027;
    Child c = inChild([&]() -> std::string {
        if (auto st = attrs::applyUser(u); !st) return st.error().str();
        uid_t r, e, s;
        getresuid(&r, &e, &s);
        if (r != 1234 || e != 1234 || s != 1234) return "uids";
        gid_t gr, ge, gs;
        getresgid(&gr, &ge, &gs);
        if (gr != 2345 || ge != 2345 || gs != 2345) return "gids";
        gid_t groups[8];
        int n = getgroups(8, groups);
        if (n != 2 || groups[0] != 3456 || groups[1] != 4567) return "supplementary groups";
        mode_t old = umask(0);
        return old == 027 ? "" : fmt::format("umask {:o}", old);
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

}  // namespace
}  // namespace berth
