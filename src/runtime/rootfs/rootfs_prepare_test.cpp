// rootfs::prepare as root, each case in a child with a private mount namespace: mount flags,
// bind mounts, destinations that try to leave the rootfs, /dev, cgroups, tmpcopyup.
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <fstream>

#include "runtime/rootfs.h"
#include "runtime/rootfs/mount_util.h"
#include "runtime/rootfs/rootfs_test_util.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {
namespace {

using testing::createErrno;
using testing::devTmpfs;
using testing::fsType;
using testing::inChild;
using testing::mountOf;
using testing::TempRootfs;

class Prepare : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    }
    Options opts() const { return Options{t_.rootfs()}; }
    TempRootfs t_;
};

const MountInfo* findMount(const std::vector<MountInfo>& ms, const std::string& mp) {
    const MountInfo* found = nullptr;
    for (const auto& m : ms) {
        if (m.mountPoint == mp) found = &m;  // the last one is on top
    }
    return found;
}

bool hasOpt(const std::string& opts, const std::string& o) {
    return ("," + opts + ",").find("," + o + ",") != std::string::npos;
}

TEST_F(Prepare, TmpfsOptionsLandAsFlags) {
    spec::Spec s;
    s.mounts.push_back(mountOf("/tmp", "tmpfs", "tmpfs",
                               {"nosuid", "nodev", "noexec", "ro", "mode=755", "size=65536k"}));
    s.mounts.push_back(mountOf("/run/shared", "tmpfs", "tmpfs", {"shared"}));
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(prepare(s, opts()));
        auto ms = readMountInfo();
        CHILD_OK(ms);
        const MountInfo* m = findMount(*ms, t_.in("/tmp"));
        CHILD_CHECK(m, "no mount at {}", t_.in("/tmp"));
        CHILD_CHECK(m->fsType == "tmpfs", "{}", m->fsType);
        for (const char* o : {"ro", "nosuid", "nodev", "noexec"}) {
            CHILD_CHECK(hasOpt(m->options, o), "{} lacks {}", m->options, o);
        }
        CHILD_CHECK(hasOpt(m->superOptions, "mode=755"), "{}", m->superOptions);
        CHILD_CHECK(hasOpt(m->superOptions, "size=65536k"), "{}", m->superOptions);
        const MountInfo* sh = findMount(*ms, t_.in("/run/shared"));
        CHILD_CHECK(sh && sh->optional.find("shared:") != std::string::npos, "not shared");
        // The rootfs itself became a mount point.
        CHILD_CHECK(findMount(*ms, t_.rootfs()), "rootfs not bind-mounted");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(Prepare, ReadonlyBindIsReadonly) {
    std::string src = t_.dir() + "/data";
    ASSERT_TRUE(sys::mkdir(src, 0755));
    ASSERT_TRUE(sys::writeFile(src + "/f", "hi", O_WRONLY | O_CREAT));
    spec::Spec s;
    s.mounts.push_back(mountOf("/data", "bind", src, {"rbind", "ro", "nosuid"}));
    s.mounts.push_back(mountOf("etc/hosts", "bind", src + "/f", {"bind"}));  // relative dest
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(prepare(s, opts()));
        auto content = sys::readFile(t_.in("/data/f"));
        CHILD_CHECK(content && *content == "hi", "read through the bind");
        int e = createErrno(t_.in("/data/new"));
        CHILD_CHECK(e == EROFS, "create in ro bind: {}", errnoName(e));
        struct stat st;
        CHILD_CHECK(::stat(t_.in("/etc/hosts").c_str(), &st) == 0 && S_ISREG(st.st_mode),
                    "file bind target not a file");
        auto hosts = sys::readFile(t_.in("/etc/hosts"));
        CHILD_CHECK(hosts && *hosts == "hi", "file bind content");
        return "";
    });
    EXPECT_EQ(err, "");
    EXPECT_FALSE(sys::exists(src + "/new"));
}

TEST_F(Prepare, RecursiveReadonlyCoversSubmounts) {
    std::string src = t_.dir() + "/tree";
    ASSERT_TRUE(sys::mkdirAll(src + "/sub", 0755));
    spec::Spec s;
    s.mounts.push_back(mountOf("/tree", "bind", src, {"rbind", "rro"}));
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(sys::mount("tmpfs", src + "/sub", "tmpfs", 0));
        CHILD_OK(prepare(s, opts()));
        int e = createErrno(t_.in("/tree/sub/x"));
        CHILD_CHECK(e == EROFS, "create in submount: {}", errnoName(e));
        CHILD_CHECK(createErrno(src + "/sub/x") == 0, "host side became read-only");
        return "";
    });
    EXPECT_EQ(err, "");
}

// rootfs/evil -> "/": a mount on /evil/<name> must land in rootfs/<name>, not in /<name>.
TEST_F(Prepare, AbsoluteSymlinkDestinationStaysInside) {
    std::string name = "berth-escape-" + std::to_string(::getpid());
    ASSERT_EQ(::symlink("/", t_.in("/evil").c_str()), 0);
    std::string canary = t_.dir() + "/canary";
    ASSERT_TRUE(sys::mkdir(canary, 0755));
    spec::Spec s;
    s.mounts.push_back(mountOf("/evil/" + name, "bind", canary, {"bind"}));
    // And a symlink to the canary itself by absolute host path.
    ASSERT_EQ(::symlink(canary.c_str(), t_.in("/evil2").c_str()), 0);
    s.mounts.push_back(mountOf("/evil2/sub", "tmpfs", "tmpfs", {}));
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(prepare(s, opts()));
        CHILD_CHECK(!sys::exists("/" + name), "/{} was created on the host", name);
        CHILD_CHECK(sys::isDir(t_.in("/" + name)), "not created inside the rootfs");
        CHILD_CHECK(!sys::exists(canary + "/sub"), "canary touched");
        CHILD_CHECK(fsType(t_.in(canary + "/sub")) == TMPFS_MAGIC, "tmpfs not inside");
        return "";
    });
    EXPECT_EQ(err, "");
    EXPECT_FALSE(sys::exists("/" + name));
    EXPECT_FALSE(sys::exists(canary + "/sub"));
}

TEST_F(Prepare, DotDotSymlinkDestinationStaysInside) {
    std::string name = "berth-escape-dd-" + std::to_string(::getpid());
    std::string target = "../../../../tmp/" + name;
    ASSERT_EQ(::symlink(target.c_str(), t_.in("/link").c_str()), 0);
    spec::Spec s;
    s.mounts.push_back(mountOf("/link", "tmpfs", "tmpfs", {}));
    s.mounts.push_back(mountOf("/link/../../../x", "tmpfs", "tmpfs", {}));
    // A target that exists on the host: only in-root resolution keeps this one inside.
    std::string hostDir = t_.dir() + "/escape";
    ASSERT_TRUE(sys::mkdir(hostDir, 0755));
    ASSERT_EQ(::symlink(("../../../../../../.." + hostDir).c_str(), t_.in("/link2").c_str()), 0);
    s.mounts.push_back(mountOf("/link2/sub", "tmpfs", "tmpfs", {}));
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(prepare(s, opts()));
        CHILD_CHECK(!sys::exists(hostDir + "/sub"), "{}/sub created on the host", hostDir);
        CHILD_CHECK(fsType(t_.in(hostDir + "/sub")) == TMPFS_MAGIC, "link2 not inside");
        CHILD_CHECK(!sys::exists("/tmp/" + name), "host /tmp/{} exists", name);
        CHILD_CHECK(fsType(t_.in("/tmp/" + name)) == TMPFS_MAGIC, "not mounted inside");
        CHILD_CHECK(fsType(t_.in("/x")) == TMPFS_MAGIC, "dot-dot dest not inside");
        return "";
    });
    EXPECT_EQ(err, "");
    EXPECT_FALSE(sys::exists("/tmp/" + name));
}

TEST_F(Prepare, WrongDestinationTypeIsAnError) {
    ASSERT_TRUE(sys::writeFile(t_.in("/etc/file"), "", O_WRONLY | O_CREAT));
    ASSERT_TRUE(sys::mkdir(t_.in("/etc/dir"), 0755));
    std::string srcFile = t_.dir() + "/srcfile";
    ASSERT_TRUE(sys::writeFile(srcFile, "x", O_WRONLY | O_CREAT));
    auto run = [&](spec::Mount m) {
        spec::Spec s;
        s.mounts.push_back(std::move(m));
        return inChild([&]() -> std::string {
            auto st = prepare(s, opts());
            return st ? "ok" : st.error().str();
        });
    };
    std::string e1 = run(mountOf("/etc/file", "tmpfs", "tmpfs", {}));
    EXPECT_NE(e1.find("/etc/file is not a directory"), std::string::npos) << e1;
    std::string e2 = run(mountOf("/etc/dir", "bind", srcFile, {"bind"}));
    EXPECT_NE(e2.find("/etc/dir is a directory"), std::string::npos) << e2;
    std::string e3 = run(mountOf("/etc/file/sub", "tmpfs", "tmpfs", {}));
    EXPECT_NE(e3.find("not a directory"), std::string::npos) << e3;
}

TEST_F(Prepare, DevHasDefaultDevicesAndLinks) {
    spec::Spec s;
    s.mounts.push_back(devTmpfs());
    s.linux.emplace();
    spec::Device tun;
    tun.type = "c";
    tun.path = "/dev/net/tun";
    tun.major = 10;
    tun.minor = 200;
    tun.fileMode = 0600;
    tun.uid = 1000;
    tun.gid = 1001;
    s.linux->devices.push_back(tun);
    spec::Device zero = tun;  // replaces the default /dev/zero
    zero.path = "/dev/zero";
    zero.major = 1;
    zero.minor = 5;
    zero.fileMode = 0640;
    zero.uid = 0;
    zero.gid = 0;
    s.linux->devices.push_back(zero);
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(prepare(s, opts()));
        struct Want {
            const char* name;
            unsigned maj, min, mode;
        };
        for (Want w : {Want{"null", 1, 3, 0666}, Want{"zero", 1, 5, 0640}, Want{"full", 1, 7, 0666},
                       Want{"random", 1, 8, 0666}, Want{"urandom", 1, 9, 0666},
                       Want{"tty", 5, 0, 0666}, Want{"net/tun", 10, 200, 0600}}) {
            struct stat st;
            std::string p = t_.in("/dev/") + w.name;
            CHILD_CHECK(::lstat(p.c_str(), &st) == 0, "{} missing", p);
            CHILD_CHECK(S_ISCHR(st.st_mode), "{} not a char device", p);
            CHILD_CHECK(major(st.st_rdev) == w.maj && minor(st.st_rdev) == w.min, "{} is {}:{}", p,
                        major(st.st_rdev), minor(st.st_rdev));
            CHILD_CHECK((st.st_mode & 07777) == w.mode, "{} mode {:o}", p, st.st_mode & 07777);
        }
        struct stat st;
        CHILD_CHECK(::lstat(t_.in("/dev/net/tun").c_str(), &st) == 0 && st.st_uid == 1000 &&
                        st.st_gid == 1001,
                    "tun owner");
        auto link = [&](const char* n) { return sys::readlink(t_.in("/dev/") + n).valueOr(""); };
        CHILD_CHECK(link("fd") == "/proc/self/fd", "fd -> {}", link("fd"));
        CHILD_CHECK(link("stdin") == "/proc/self/fd/0", "stdin");
        CHILD_CHECK(link("stdout") == "/proc/self/fd/1", "stdout");
        CHILD_CHECK(link("stderr") == "/proc/self/fd/2", "stderr");
        CHILD_CHECK(link("ptmx") == "pts/ptmx", "ptmx -> {}", link("ptmx"));
        CHILD_CHECK(sys::exists("/proc/kcore") == (link("core") == "/proc/kcore"), "core");
        CHILD_CHECK(::lstat(t_.in("/dev/console").c_str(), &st) == 0 && S_ISREG(st.st_mode),
                    "console placeholder");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(Prepare, DevInUserNsBindsHostDevices) {
    spec::Spec s;
    s.mounts.push_back(devTmpfs());
    std::string err = inChild([&]() -> std::string {
        Options o = opts();
        o.inUserNs = true;
        CHILD_OK(prepare(s, o));
        auto ms = readMountInfo();
        CHILD_OK(ms);
        CHILD_CHECK(findMount(*ms, t_.in("/dev/null")), "/dev/null not a bind mount");
        struct stat st;
        CHILD_CHECK(::stat(t_.in("/dev/urandom").c_str(), &st) == 0 && S_ISCHR(st.st_mode) &&
                        major(st.st_rdev) == 1 && minor(st.st_rdev) == 9,
                    "urandom");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(Prepare, TmpcopyupCopiesTheCoveredDirectory) {
    ASSERT_TRUE(sys::mkdirAll(t_.in("/etc/conf/d"), 0750));
    ASSERT_TRUE(sys::writeFile(t_.in("/etc/conf/a.txt"), "hello", O_WRONLY | O_CREAT, 0640));
    ASSERT_EQ(::symlink("a.txt", t_.in("/etc/conf/link").c_str()), 0);
    spec::Spec s;
    s.mounts.push_back(mountOf("/etc/conf", "tmpfs", "tmpfs", {"tmpcopyup", "ro"}));
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(prepare(s, opts()));
        CHILD_CHECK(fsType(t_.in("/etc/conf")) == TMPFS_MAGIC, "not tmpfs");
        auto a = sys::readFile(t_.in("/etc/conf/a.txt"));
        CHILD_CHECK(a && *a == "hello", "content not copied");
        CHILD_CHECK(sys::readlink(t_.in("/etc/conf/link")).valueOr("") == "a.txt", "symlink");
        CHILD_CHECK(sys::isDir(t_.in("/etc/conf/d")), "subdir");
        struct stat st;
        CHILD_CHECK(
            ::stat(t_.in("/etc/conf/a.txt").c_str(), &st) == 0 && (st.st_mode & 0777) == 0640,
            "mode");
        CHILD_CHECK(createErrno(t_.in("/etc/conf/new")) == EROFS, "ro after copy");
        return "";
    });
    EXPECT_EQ(err, "");
}

spec::Spec cgroupSpec() {
    spec::Spec s;
    s.mounts.push_back(mountOf("/sys/fs/cgroup", "cgroup", "cgroup",
                               {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    return s;
}

std::string checkCgroupTree(const std::string& dir) {
    long root = fsType("/sys/fs/cgroup");
    if (root == CGROUP2_SUPER_MAGIC) {
        CHILD_CHECK(fsType(dir) == CGROUP2_SUPER_MAGIC, "not cgroup2");
    } else {
        CHILD_CHECK(fsType(dir) == TMPFS_MAGIC, "no tmpfs at {}", dir);
        for (const char* c : {"memory", "pids", "cpu"}) {
            if (!sys::isDir(std::string("/sys/fs/cgroup/") + c)) continue;
            std::string sub = dir + "/" + c;
            CHILD_CHECK(fsType(sub) == CGROUP_SUPER_MAGIC, "{} not a cgroup mount", sub);
            CHILD_CHECK(sys::exists(sub + "/cgroup.procs"), "{} has no cgroup.procs", sub);
            CHILD_CHECK(::mkdir((sub + "/x").c_str(), 0755) < 0 && errno == EROFS, "{} rw", sub);
        }
        if (sys::isDir("/sys/fs/cgroup/unified")) {
            CHILD_CHECK(fsType(dir + "/unified") == CGROUP2_SUPER_MAGIC, "unified");
        }
    }
    return "";
}

TEST_F(Prepare, CgroupMountBindsOwnHierarchies) {
    auto s = cgroupSpec();
    std::string err = inChild([&]() -> std::string {
        CHILD_OK(prepare(s, opts()));
        return checkCgroupTree(t_.in("/sys/fs/cgroup"));
    });
    EXPECT_EQ(err, "");
}

TEST_F(Prepare, CgroupMountInNewCgroupNs) {
    auto s = cgroupSpec();
    std::string err = inChild(
        [&]() -> std::string {
            Options o = opts();
            o.newCgroupNs = true;
            CHILD_OK(prepare(s, o));
            return checkCgroupTree(t_.in("/sys/fs/cgroup"));
        },
        CLONE_NEWCGROUP);
    EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace berth::rootfs
