// Pure parts of the rootfs facility: option parsing, path cleaning, sysctl validation.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "runtime/rootfs.h"
#include "runtime/rootfs/mount_options.h"
#include "runtime/rootfs/safe_path.h"

namespace berth::rootfs {
namespace {

TEST(MountOptions, FlagsPropagationAndData) {
    auto r = parseMountOptions(
        {"nosuid", "noexec", "nodev", "ro", "mode=755", "size=65536k", "rslave", "strictatime"});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY | MS_STRICTATIME);
    EXPECT_EQ(r->data, "mode=755,size=65536k");
    ASSERT_EQ(r->propagation.size(), 1u);
    EXPECT_EQ(r->propagation[0], MS_SLAVE | MS_REC);
    EXPECT_FALSE(r->bind());
    EXPECT_FALSE(r->hasRecursiveAttrs());
}

TEST(MountOptions, LaterOptionWins) {
    auto r = parseMountOptions({"ro", "rw", "nosuid", "suid", "noatime", "atime", "dev"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->flags, 0u);
}

TEST(MountOptions, BindAndRbind) {
    auto b = parseMountOptions({"bind", "ro"});
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->bind());
    EXPECT_EQ(b->flags, MS_BIND | MS_RDONLY);
    auto rb = parseMountOptions({"rbind", "nosymfollow"});
    ASSERT_TRUE(rb);
    EXPECT_EQ(rb->flags, MS_BIND | MS_REC | MS_NOSYMFOLLOW);
}

TEST(MountOptions, RecursiveAttributes) {
    auto r = parseMountOptions({"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->attrSet, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                              MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW);
    EXPECT_EQ(r->attrClr, 0u);
    auto rw = parseMountOptions({"rro", "rrw", "rsuid"});
    ASSERT_TRUE(rw);
    EXPECT_EQ(rw->attrSet, 0u);
    EXPECT_EQ(rw->attrClr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
    EXPECT_TRUE(rw->hasRecursiveAttrs());
    // Atime is one field: clearing needs the whole mask, then one mode set.
    auto at = parseMountOptions({"rnoatime"});
    ASSERT_TRUE(at);
    EXPECT_EQ(at->attrClr, uint64_t{MOUNT_ATTR__ATIME});
    EXPECT_EQ(at->attrSet, uint64_t{MOUNT_ATTR_NOATIME});
    auto st = parseMountOptions({"rnoatime", "rstrictatime"});
    ASSERT_TRUE(st);
    EXPECT_EQ(st->attrSet, uint64_t{MOUNT_ATTR_STRICTATIME});
}

TEST(MountOptions, TmpcopyupAndIdmap) {
    auto r = parseMountOptions({"tmpcopyup", "z"});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->tmpcopyup);
    EXPECT_EQ(r->data, "");
    auto id = parseMountOptions({"bind", "idmap"});
    ASSERT_FALSE(id);
    EXPECT_NE(id.error().msg.find("\"idmap\" is not supported"), std::string::npos);
}

TEST(MountOptions, PropagationKeywords) {
    EXPECT_EQ(*propagationFlags("rprivate"), MS_PRIVATE | MS_REC);
    EXPECT_EQ(*propagationFlags("shared"), MS_SHARED);
    EXPECT_EQ(*propagationFlags("runbindable"), MS_UNBINDABLE | MS_REC);
    EXPECT_FALSE(propagationFlags("rbind"));
}

TEST(SafePath, CleanRelative) {
    EXPECT_EQ(cleanRelative("/"), "");
    EXPECT_EQ(cleanRelative("/a/./b/../c/"), "a/c");
    EXPECT_EQ(cleanRelative("../../etc/passwd"), "etc/passwd");
    EXPECT_EQ(cleanRelative("dev/shm"), "dev/shm");  // relative destinations: relative to /
    EXPECT_EQ(cleanRelative("//x//y"), "x/y");
    EXPECT_EQ(splitPath("a/b/c"), (std::vector<std::string>{"a", "b", "c"}));
}

spec::Spec withSysctl(std::string key, std::vector<std::string> namespaces) {
    spec::Spec s;
    s.linux.emplace();
    s.linux->sysctl[key] = "1";
    for (auto& n : namespaces) s.linux->namespaces.push_back(spec::Namespace{n, ""});
    return s;
}

std::string sysctlError(const spec::Spec& s) {
    auto st = validateSysctls(s);
    return st ? "" : st.error().msg;
}

TEST(Sysctl, AllowedWithTheirNamespaces) {
    EXPECT_EQ(sysctlError(withSysctl("kernel.shmmax", {"ipc"})), "");
    EXPECT_EQ(sysctlError(withSysctl("kernel.shm_rmid_forced", {"ipc"})), "");
    EXPECT_EQ(sysctlError(withSysctl("fs.mqueue.msg_max", {"ipc"})), "");
    EXPECT_EQ(sysctlError(withSysctl("net.ipv4.ip_forward", {"network"})), "");
    EXPECT_EQ(sysctlError(withSysctl("net/ipv4/conf/eth0.100/forwarding", {"network"})), "");
    EXPECT_EQ(sysctlError(withSysctl("kernel.domainname", {"uts"})), "");
}

TEST(Sysctl, RefusedWithoutTheNamespace) {
    auto e = sysctlError(withSysctl("kernel.msgmax", {"pid"}));
    EXPECT_NE(e.find("\"kernel.msgmax\""), std::string::npos) << e;
    EXPECT_NE(e.find("ipc namespace"), std::string::npos) << e;
    e = sysctlError(withSysctl("net.core.somaxconn", {"ipc"}));
    EXPECT_NE(e.find("network namespace"), std::string::npos) << e;
    e = sysctlError(withSysctl("kernel.hostname", {}));
    EXPECT_NE(e.find("uts namespace"), std::string::npos) << e;
}

TEST(Sysctl, RefusedHostNetnsByPath) {
    auto s = withSysctl("net.ipv4.ip_forward", {});
    s.linux->namespaces.push_back(spec::Namespace{"network", "/proc/self/ns/net"});
    auto e = sysctlError(s);
    EXPECT_NE(e.find("host's network namespace"), std::string::npos) << e;
}

TEST(Sysctl, RefusedOutsideAnyNamespace) {
    auto e = sysctlError(withSysctl("kernel.panic", {"ipc", "uts", "network"}));
    EXPECT_NE(e.find("\"kernel.panic\" is not in a separate kernel namespace"), std::string::npos)
        << e;
    e = sysctlError(withSysctl("vm.overcommit_memory", {"ipc"}));
    EXPECT_FALSE(e.empty());
}

TEST(Sysctl, HostnameConflictsWithField) {
    auto s = withSysctl("kernel.hostname", {"uts"});
    s.hostname = "web";
    auto e = sysctlError(s);
    EXPECT_NE(e.find("conflicts"), std::string::npos) << e;
}

}  // namespace
}  // namespace berth::rootfs
