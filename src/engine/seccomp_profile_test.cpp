// seccompProfile(): docker's default and custom profiles, and the output going through the
// runtime's own parser, compiler and loader in a forked child.
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/security.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/testing/in_child.h"

namespace berth::engine {
namespace {

using Json = nlohmann::json;

Json profileFor(const std::vector<std::string>& caps, const std::string& opt = "") {
    auto r = seccompProfile(opt, caps);
    EXPECT_TRUE(r) << r.error().str();
    if (!r || !*r) return Json();
    return Json::parse(**r);
}

// The rules naming `name`.
std::vector<Json> rulesFor(const Json& p, const std::string& name) {
    std::vector<Json> out;
    for (const auto& r : p["syscalls"]) {
        const auto& n = r["names"];
        if (std::find(n.begin(), n.end(), name) != n.end()) out.push_back(r);
    }
    return out;
}

std::vector<std::string> withCap(std::vector<std::string> caps, const std::string& c) {
    caps.push_back(c);
    return caps;
}

TEST(SeccompProfile, DefaultDataIsDockers) {
    Json d = Json::parse(defaultSeccompProfileJson());
    EXPECT_EQ(d["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(d["defaultErrnoRet"], 1);
    EXPECT_EQ(d["archMap"].size(), 8u);
    EXPECT_EQ(d["syscalls"].size(), 31u);
    EXPECT_EQ(d["syscalls"][0]["names"].size(), 349u);
}

TEST(SeccompProfile, DefaultWithDefaultCaps) {
    Json p = profileFor(defaultCapabilities());
    EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(p["defaultErrnoRet"], 1);
#if defined(__x86_64__)
    EXPECT_EQ(p["architectures"],
              Json::parse(R"(["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"])"));
    EXPECT_EQ(rulesFor(p, "arch_prctl").size(), 1u);
    EXPECT_EQ(rulesFor(p, "modify_ldt").size(), 1u);
#endif
    EXPECT_TRUE(rulesFor(p, "mount").empty());
    EXPECT_TRUE(rulesFor(p, "unshare").empty());
    EXPECT_TRUE(rulesFor(p, "reboot").empty());
    EXPECT_TRUE(rulesFor(p, "s390_runtime_instr").empty());
    EXPECT_EQ(rulesFor(p, "chroot").size(), 1u);  // CAP_SYS_CHROOT is a default
    EXPECT_EQ(rulesFor(p, "ptrace").size(), 1u);  // minKernel 4.8
    auto clone3 = rulesFor(p, "clone3");
    ASSERT_EQ(clone3.size(), 1u);
    EXPECT_EQ(clone3[0]["action"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(clone3[0]["errnoRet"], 38);
    auto clone = rulesFor(p, "clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_EQ(clone[0]["args"],
              Json::parse(R"([{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}])"));
    auto socket = rulesFor(p, "socket");
    ASSERT_EQ(socket.size(), 1u);
    EXPECT_EQ(socket[0]["args"][0]["op"], "SCMP_CMP_NE");
    EXPECT_EQ(rulesFor(p, "personality").size(), 5u);
    for (const auto& r : p["syscalls"]) {
        EXPECT_FALSE(r.contains("includes"));
        EXPECT_FALSE(r.contains("comment"));
    }
    auto builtin = seccompProfile("builtin", defaultCapabilities());
    ASSERT_TRUE(builtin && *builtin);
    EXPECT_EQ(Json::parse(**builtin), p);
}

TEST(SeccompProfile, CapsOpenRules) {
    Json p = profileFor(withCap(defaultCapabilities(), "CAP_SYS_ADMIN"));
    EXPECT_EQ(rulesFor(p, "mount").size(), 1u);
    auto clone3 = rulesFor(p, "clone3");
    ASSERT_EQ(clone3.size(), 1u);
    EXPECT_EQ(clone3[0]["action"], "SCMP_ACT_ALLOW");
    auto clone = rulesFor(p, "clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_FALSE(clone[0].contains("args"));
    EXPECT_EQ(rulesFor(profileFor(withCap({}, "CAP_SYS_PTRACE")), "ptrace").size(), 2u);
    EXPECT_TRUE(rulesFor(profileFor({}), "chroot").empty());
}

TEST(SeccompProfile, Unconfined) {
    auto r = seccompProfile("unconfined", defaultCapabilities());
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_value());
    auto empty = seccompProfile("{}", defaultCapabilities());  // docker: nothing to apply
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->has_value());
}

TEST(SeccompProfile, CustomProfile) {
    Json custom = Json::parse(R"({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "syscalls": [
            {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 1, "value": 7, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
            {"names": ["b"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "3.0"}},
            {"names": ["c"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_CHOWN",
                                                                           "CAP_SYS_ADMIN"]}},
            {"names": ["d"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_CHOWN"]}},
            {"names": ["e"], "action": "SCMP_ACT_LOG", "comment": "kept", "unknown": 1}
        ]})");
    Json p = profileFor(defaultCapabilities(), custom.dump());
    Json want = Json::parse(R"({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 1, "value": 7, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["e"], "action": "SCMP_ACT_LOG"}
        ]})");
    EXPECT_EQ(p, want) << p.dump(2);
}

TEST(SeccompProfile, Errors) {
    auto expectError = [](const std::string& opt, const std::string& msg) {
        auto r = seccompProfile(opt, defaultCapabilities());
        ASSERT_FALSE(r) << opt;
        EXPECT_EQ(r.error().code, EINVAL);
        EXPECT_NE(r.error().msg.find(msg), std::string::npos) << r.error().msg;
    };
    expectError("default", "Decoding seccomp profile failed");
    expectError(R"({"defaultAction": 3})", "Decoding seccomp profile failed");
    expectError(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],
                  "action":"SCMP_ACT_ALLOW"}]})",
                "'name' and 'names' were specified");
    expectError(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],
                  "archMap":[{"architecture":"SCMP_ARCH_X86_64"}]})",
                "'architectures' and 'archMap' were specified");
    expectError(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],
                  "action":"SCMP_ACT_ALLOW","includes":{"minKernel":"new"}}]})",
                "invalid kernel version: new");
}

// The generated profile parses as config.json, validates and compiles in the runtime.
spec::Spec specWith(const std::string& seccompJson) {
    Json s = Json::parse(spec::defaultSpecJson(false));
    s["linux"]["seccomp"] = Json::parse(seccompJson);
    auto parsed = spec::parseSpec(s.dump());
    EXPECT_TRUE(parsed) << parsed.error().str();
    return parsed ? std::move(*parsed) : spec::Spec{};
}

std::string runBusyboxTrue() {
    pid_t pid = fork();
    if (pid < 0) return fmt::format("fork: errno {}", errno);
    if (pid == 0) {
        execl("/bin/busybox", "busybox", "true", static_cast<char*>(nullptr));
        _exit(127);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) return "waitpid failed";
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return fmt::format("busybox true: status {}", st);
    return "";
}

TEST(SeccompProfile, DefaultProfileLoadsAndFilters) {
    auto json = seccompProfile("", defaultCapabilities());
    ASSERT_TRUE(json && *json);
    spec::Spec s = specWith(**json);
    ASSERT_TRUE(s.linux && s.linux->seccomp);
    auto v = seccomp::validate(*s.linux->seccomp);
    ASSERT_TRUE(v) << v.error().str();
    auto prog = seccomp::compile(*s.linux->seccomp);
    ASSERT_TRUE(prog) << prog.error().str();

    test::Child c = test::inChild([&]() -> std::string {
        if (geteuid() != 0) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        auto fd = seccomp::install(*prog);
        if (!fd) return "install: " + fd.error().str();
        if (auto m = runBusyboxTrue(); !m.empty()) return m;
        if (::syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
            return fmt::format("keyctl: want EPERM, got errno {}", errno);
        if (::unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
            return fmt::format("unshare(CLONE_NEWUSER): want EPERM, got errno {}", errno);
        if (::mount("none", "/tmp", "tmpfs", 0, nullptr) != -1 || errno != EPERM)
            return fmt::format("mount: want EPERM, got errno {}", errno);
        struct clone_args ca {};
        if (::syscall(SYS_clone3, &ca, sizeof ca) != -1 || errno != ENOSYS)
            return fmt::format("clone3: want ENOSYS, got errno {}", errno);
        if (::socket(40 /* AF_VSOCK */, SOCK_STREAM, 0) != -1 || errno != EPERM)
            return fmt::format("socket(AF_VSOCK): want EPERM, got errno {}", errno);
        int u = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (u < 0) return fmt::format("socket(AF_UNIX): errno {}", errno);
        close(u);
        if (::personality(0xffffffff) == -1) return "personality query denied";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg << " status " << c.status;
}

TEST(SeccompProfile, SysAdminProfileAllowsNamespaces) {
    auto json = seccompProfile("", withCap(defaultCapabilities(), "CAP_SYS_ADMIN"));
    ASSERT_TRUE(json && *json);
    spec::Spec s = specWith(**json);
    ASSERT_TRUE(s.linux && s.linux->seccomp);
    auto prog = seccomp::compile(*s.linux->seccomp);
    ASSERT_TRUE(prog) << prog.error().str();
    test::Child c = test::inChild([&]() -> std::string {
        if (geteuid() != 0) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        auto fd = seccomp::install(*prog);
        if (!fd) return "install: " + fd.error().str();
        if (auto m = runBusyboxTrue(); !m.empty()) return m;
        // Allowed by the filter now: whatever the kernel says, it is not the filter's EPERM
        // for an unprivileged user namespace.
        if (::unshare(CLONE_NEWUSER) != 0)
            return fmt::format("unshare(CLONE_NEWUSER): errno {}", errno);
        if (::syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
            return fmt::format("keyctl: want EPERM, got errno {}", errno);
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg << " status " << c.status;
}

}  // namespace
}  // namespace berth::engine
