// rootfs::enter and rootfs::finish as root, each case in a child with a private mount
// namespace: pivot_root and the chroot fallback, read-only root, masked and readonly paths,
// and sysctl writes that must not be redirected.
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "runtime/rootfs.h"
#include "runtime/rootfs/mount_util.h"
#include "runtime/rootfs/rootfs_test_util.h"
#include "runtime/rootfs/safe_path.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {
namespace {

using testing::createErrno;
using testing::devTmpfs;
using testing::fsType;
using testing::inChild;
using testing::mountOf;
using testing::TempRootfs;

class Finish : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        ASSERT_TRUE(sys::writeFile(t_.in("/marker"), "inside", O_WRONLY | O_CREAT));
        ASSERT_TRUE(sys::writeFile(hostMark(), "host", O_WRONLY | O_CREAT));
    }
    std::string hostMark() const { return t_.dir() + "/hostmark"; }
    Options opts() const { return Options{t_.rootfs()}; }
    spec::Spec baseSpec() const {
        spec::Spec s;
        s.mounts.push_back(mountOf("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
        s.mounts.push_back(devTmpfs());
        s.mounts.push_back(mountOf("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev"}));
        s.linux.emplace();
        return s;
    }
    TempRootfs t_;
};

// The classic chroot escape: chroot into a subdirectory while the cwd stays above it, then
// walk up. Afterwards "/" is as far up as this mount namespace reaches.
void tryChrootEscape() {
    ::mkdir("/escape-dir", 0755);
    if (::chroot("/escape-dir") < 0) return;
    for (int i = 0; i < 64; ++i) (void)!::chdir("..");
    (void)!::chroot(".");
}

TEST_F(Finish, PivotRootLeavesOldRootUnreachable) {
    auto s = baseSpec();
    std::string err = inChild([&]() -> std::string {
        auto oldRootFd = sys::open("/", O_PATH | O_DIRECTORY);
        CHILD_OK(oldRootFd);
        auto oldRootId = mountId(oldRootFd->get());
        CHILD_OK(oldRootId);
        int oldRoot = static_cast<int>(*oldRootId);
        oldRootFd->reset();
        CHILD_OK(prepare(s, opts()));
        CHILD_OK(enter(opts()));
        CHILD_CHECK(sys::readFile("/marker").valueOr("") == "inside", "not in the rootfs");
        CHILD_CHECK(!sys::exists(hostMark()), "host file visible");
        char cwd[256];
        CHILD_CHECK(::getcwd(cwd, sizeof cwd) && std::string(cwd) == "/", "cwd {}", cwd);
        auto ms = readMountInfo();
        CHILD_OK(ms);
        for (const auto& m : *ms) {
            CHILD_CHECK(m.mountPoint.rfind(t_.rootfs(), 0) != 0, "old path {}", m.mountPoint);
            // The old root is detached: nothing is on it (with MS_MOVE, "/" would be).
            CHILD_CHECK(m.id != oldRoot && m.parent != oldRoot, "old root mount {} still there",
                        oldRoot);
        }
        tryChrootEscape();
        CHILD_CHECK(!sys::exists(hostMark()), "host file reachable after a chroot escape");
        CHILD_CHECK(sys::exists("/marker"), "lost the rootfs");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(Finish, NoPivotUsesMoveAndChroot) {
    auto s = baseSpec();
    std::string err = inChild([&]() -> std::string {
        Options o = opts();
        o.noPivot = true;
        CHILD_OK(prepare(s, o));
        CHILD_OK(enter(o));
        CHILD_CHECK(sys::readFile("/marker").valueOr("") == "inside", "not in the rootfs");
        CHILD_CHECK(!sys::exists(hostMark()), "host file visible");
        CHILD_CHECK(fsType("/proc") == PROC_SUPER_MAGIC, "no /proc");
        CHILD_CHECK(sys::exists("/dev/null"), "no /dev/null");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(Finish, ReadonlyRootMaskedAndReadonlyPathsAndSysctl) {
    ASSERT_TRUE(sys::mkdir(t_.in("/secret"), 0755));
    ASSERT_TRUE(sys::writeFile(t_.in("/secret/key"), "k", O_WRONLY | O_CREAT));
    ASSERT_TRUE(sys::writeFile(t_.in("/etc/secret.conf"), "password", O_WRONLY | O_CREAT));
    auto s = baseSpec();
    s.root = spec::Root{"rootfs", true};
    s.mounts.push_back(mountOf("/data", "tmpfs", "tmpfs", {}));
    s.mounts.push_back(mountOf("/data2", "tmpfs", "tmpfs", {}));
    s.linux->maskedPaths = {"/secret", "/etc/secret.conf", "/does/not/exist"};
    s.linux->readonlyPaths = {"/data", "/missing"};
    s.linux->sysctl["net.ipv4.ip_forward"] = "1";
    std::string err = inChild(
        [&]() -> std::string {
            CHILD_OK(prepare(s, opts()));
            CHILD_OK(enter(opts()));
            CHILD_OK(finish(s, opts()));
            CHILD_CHECK(createErrno("/newfile") == EROFS, "root is writable");
            CHILD_CHECK(createErrno("/tmp/ok") == 0, "/tmp not writable");
            CHILD_CHECK(fsType("/secret") == TMPFS_MAGIC, "masked dir not tmpfs");
            CHILD_CHECK(!sys::exists("/secret/key"), "masked dir content visible");
            CHILD_CHECK(createErrno("/secret/x") == EROFS, "masked tmpfs writable");
            auto conf = sys::readFile("/etc/secret.conf");
            CHILD_CHECK(conf && conf->empty(), "masked file readable");
            struct stat st;
            CHILD_CHECK(::stat("/etc/secret.conf", &st) == 0 && S_ISCHR(st.st_mode) &&
                            major(st.st_rdev) == 1 && minor(st.st_rdev) == 3,
                        "masked file is not /dev/null");
            CHILD_CHECK(createErrno("/data/x") == EROFS, "readonly path writable");
            CHILD_CHECK(createErrno("/data2/x") == 0, "other tmpfs not writable");
            auto fwd = sys::readFile("/proc/sys/net/ipv4/ip_forward");
            CHILD_CHECK(fwd && *fwd == "1\n", "ip_forward {}", fwd.valueOr("?"));
            return "";
        },
        CLONE_NEWNET);
    EXPECT_EQ(err, "");
    EXPECT_EQ(sys::readFile(t_.in("/etc/secret.conf")).valueOr(""), "password");
}

// Like runc: a missing process.cwd is created (before the root turns read-only), inside the
// root even through a symlink that points out of it; a magic link is never followed.
TEST_F(Finish, CreatesMissingCwdInsideTheRoot) {
    ASSERT_EQ(::symlink("/", t_.in("/up").c_str()), 0);
    for (std::string cwd : {"/work/dir", "/up/via-link", "/proc/self/fd/3/x"}) {
        auto s = baseSpec();
        s.root = spec::Root{"rootfs", true};
        s.process.emplace();
        s.process->cwd = cwd;
        std::string err = inChild([&]() -> std::string {
            CHILD_OK(prepare(s, opts()));
            CHILD_OK(enter(opts()));
            CHILD_OK(finish(s, opts()));
            CHILD_CHECK(createErrno("/newfile") == EROFS, "root is writable");
            return "";
        });
        EXPECT_EQ(err, "") << cwd;
    }
    struct stat st;
    EXPECT_EQ(::stat(t_.in("/work/dir").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(::stat(t_.in("/via-link").c_str(), &st), 0) << "not created inside the root";
    EXPECT_NE(::stat("/via-link", &st), 0) << "created on the host";
}

// The image supplies /dev/null: masking must not bind it (or what it points to) anywhere.
TEST_F(Finish, MaskRefusesFakeDevNull) {
    ASSERT_TRUE(sys::writeFile(t_.in("/etc/target"), "data", O_WRONLY | O_CREAT));
    auto attempt = [&](const std::function<void()>& makeNull) {
        (void)sys::removeAll(t_.in("/dev/null"));
        makeNull();
        return inChild([&]() -> std::string {
            auto root = sys::open(t_.rootfs(), O_PATH | O_DIRECTORY);
            CHILD_OK(root);
            auto st = maskPaths(root->get(), {"/etc/target"});
            CHILD_CHECK(sys::readFile(t_.in("/etc/target")).valueOr("") == "data", "masked");
            return st ? "ok" : st.error().str();
        });
    };
    const std::string want = "masked path source /dev/null is not the null device";
    std::string e =
        attempt([&] { ASSERT_TRUE(sys::writeFile(t_.in("/dev/null"), "", O_WRONLY | O_CREAT)); });
    EXPECT_NE(e.find(want), std::string::npos) << e;
    // Followed on the host this would be the real /dev/null; it must not be followed.
    e = attempt(
        [&] { ASSERT_EQ(::symlink("../../../../../../dev/null", t_.in("/dev/null").c_str()), 0); });
    EXPECT_NE(e.find(want), std::string::npos) << e;
    e = attempt([&] { ASSERT_EQ(::symlink(hostMark().c_str(), t_.in("/dev/null").c_str()), 0); });
    EXPECT_NE(e.find(want), std::string::npos) << e;
    // A real null device node works.
    e = attempt(
        [&] { ASSERT_EQ(::mknod(t_.in("/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0); });
    EXPECT_NE(e.find("masked"), std::string::npos) << e;  // the child saw the file masked
}

TEST_F(Finish, SysctlThroughSymlinkIsRefused) {
    std::string dir = t_.dir() + "/procsys";
    std::string victim = t_.dir() + "/victim";
    ASSERT_TRUE(sys::mkdirAll(dir + "/kernel", 0755));
    ASSERT_TRUE(sys::writeFile(victim, "orig", O_WRONLY | O_CREAT));
    ASSERT_EQ(::symlink(victim.c_str(), (dir + "/kernel/shmmax").c_str()), 0);
    ASSERT_EQ(::symlink(t_.dir().c_str(), (dir + "/net").c_str()), 0);
    ASSERT_TRUE(sys::writeFile(dir + "/kernel/shmmni", "", O_WRONLY | O_CREAT));
    auto fd = sys::open(dir, O_RDONLY | O_DIRECTORY);
    ASSERT_TRUE(fd);

    auto st = writeSysctlAt(fd->get(), "kernel.shmmax", "123");
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("sysctl kernel.shmmax=123"), std::string::npos)
        << st.error().str();
    EXPECT_EQ(st.error().code, ELOOP);
    st = writeSysctlAt(fd->get(), "net.victim", "x");  // symlinked directory on the way
    ASSERT_FALSE(st);
    st = writeSysctlAt(fd->get(), "kernel.shmmni", "1");  // a plain file, not procfs
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("is not on procfs"), std::string::npos) << st.error().str();
    st = writeSysctlAt(fd->get(), "../victim", "x");  // escaping the directory
    ASSERT_FALSE(st);
    EXPECT_EQ(sys::readFile(victim).valueOr(""), "orig");
}

TEST_F(Finish, SysctlOverAMountIsRefused) {
    std::string victim = t_.dir() + "/victim";
    ASSERT_TRUE(sys::writeFile(victim, "orig", O_WRONLY | O_CREAT));
    std::string err = inChild(
        [&]() -> std::string {
            // Something mounted over /proc/sys/net with a symlink in it.
            CHILD_OK(sys::mount("tmpfs", "/proc/sys/net", "tmpfs", 0));
            CHILD_OK(sys::mkdir("/proc/sys/net/ipv4", 0755));
            CHILD_CHECK(::symlink(victim.c_str(), "/proc/sys/net/ipv4/ip_forward") == 0, "link");
            auto st = writeSysctls({{"net.ipv4.ip_forward", "1"}});
            CHILD_CHECK(!st, "write through a mount over /proc/sys succeeded");
            CHILD_CHECK(st.error().msg.find("net.ipv4.ip_forward=1") != std::string::npos, "{}",
                        st.error().msg);
            return "";
        },
        CLONE_NEWNET);
    EXPECT_EQ(err, "");
    EXPECT_EQ(sys::readFile(victim).valueOr(""), "orig");
}

TEST_F(Finish, SysctlErrorNamesKeyAndValue) {
    std::string err = inChild(
        [&]() -> std::string {
            CHILD_OK(writeSysctls({{"net.ipv4.ip_forward", "1"}}));
            CHILD_CHECK(sys::readFile("/proc/sys/net/ipv4/ip_forward").valueOr("") == "1\n",
                        "not written");
            auto st = writeSysctls({{"net.ipv4.no_such_key", "7"}});
            CHILD_CHECK(!st, "unknown key accepted");
            CHILD_CHECK(st.error().str().find("sysctl net.ipv4.no_such_key=7") != std::string::npos,
                        "{}", st.error().str());
            return "";
        },
        CLONE_NEWNET);
    EXPECT_EQ(err, "");
}

// runc's default config (what `berth-runtime spec` writes): every mount, masked and readonly
// path of it must work here, on this hybrid-cgroup host.
TEST_F(Finish, DefaultSpecEndToEnd) {
    auto parsed = spec::parseSpec(spec::defaultSpecJson(false));
    ASSERT_TRUE(parsed) << parsed.error().str();
    spec::Spec s = *parsed;
    std::string err = inChild(
        [&]() -> std::string {
            CHILD_OK(validateSysctls(s));
            CHILD_OK(prepare(s, opts()));
            CHILD_OK(enter(opts()));
            CHILD_OK(finish(s, opts()));
            CHILD_CHECK(sys::exists("/dev/pts/ptmx"), "no devpts");
            CHILD_CHECK(fsType("/dev/shm") == TMPFS_MAGIC, "no /dev/shm");
            CHILD_CHECK(fsType("/sys") == SYSFS_MAGIC, "no /sys");
            CHILD_CHECK(
                sys::exists("/sys/fs/cgroup/cpu") || sys::exists("/sys/fs/cgroup/cgroup.procs"),
                "no cgroups");
            int wfd = ::open("/proc/sys/kernel/domainname", O_WRONLY | O_CLOEXEC);
            int werr = errno;
            if (wfd >= 0) ::close(wfd);
            CHILD_CHECK(wfd < 0 && werr == EROFS, "/proc/sys not ro: {}", errnoName(werr));
            if (sys::isDir("/sys/firmware")) {
                CHILD_CHECK(fsType("/sys/firmware") == TMPFS_MAGIC, "/sys/firmware not masked");
            }
            struct stat st;
            if (::stat("/proc/kcore", &st) == 0) {
                CHILD_CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "kcore unmasked");
            }
            CHILD_CHECK(createErrno("/dev/shm/x") == 0, "/dev/shm not writable");
            return "";
        },
        CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
    EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace berth::rootfs
