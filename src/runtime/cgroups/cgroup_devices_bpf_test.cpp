// Device rules -> policy -> eBPF instructions, checked without loading; then (root) loaded and
// attached to a real cgroup2 directory to see the kernel enforce it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <random>

#include "runtime/cgroups/cgfs.h"
#include "runtime/cgroups/devices_bpf.h"

namespace berth::cgroups::devices {
namespace {

constexpr uint32_t R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;

spec::DeviceRule rule(bool allow, std::string type, std::optional<int64_t> maj,
                      std::optional<int64_t> min, std::string access) {
    return {.allow = allow, .type = type, .major = maj, .minor = min, .access = access};
}

TEST(DeviceRules, NormalizeSplitsPartialAllAndChecksInput) {
    auto n = normalize({rule(false, "", {}, {}, ""), rule(true, "a", 5, {}, "r")});
    ASSERT_TRUE(n);
    ASSERT_EQ(n->size(), 3u);
    EXPECT_TRUE((*n)[0].isAll());
    EXPECT_EQ((*n)[0].v1String(), "a *:* rwm");
    EXPECT_EQ((*n)[1].v1String(), "c 5:* r");
    EXPECT_EQ((*n)[2].v1String(), "b 5:* r");
    EXPECT_FALSE(normalize({rule(true, "c", 1, 3, "rx")}));
    EXPECT_FALSE(normalize({rule(true, "u", 1, 3, "r")}));
    EXPECT_FALSE(normalize({rule(true, "c", -5, 3, "r")}));
}

TEST(DeviceRules, EmulateFollowsV1Semantics) {
    auto n = normalize({rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rw"),
                        rule(true, "c", 1, 3, "m"), rule(true, "c", 1, 5, "rwm"),
                        rule(false, "c", 1, 5, "w"), rule(true, "b", 8, 0, "r"),
                        rule(false, "b", 8, 0, "r")});
    ASSERT_TRUE(n);
    Policy p = emulate(*n);
    EXPECT_FALSE(p.defaultAllow);
    ASSERT_EQ(p.exceptions.size(), 2u);
    EXPECT_EQ(p.exceptions[0].v1String(), "c 1:3 rwm");  // merged
    EXPECT_EQ(p.exceptions[1].v1String(), "c 1:5 rm");   // narrowed; b 8:0 removed
    // An allow-all resets, and a deny becomes the exception.
    p = emulate(*normalize({rule(true, "c", 1, 3, "r"), rule(true, "a", {}, {}, "rwm"),
                            rule(false, "c", 10, 200, "rwm")}));
    EXPECT_TRUE(p.defaultAllow);
    ASSERT_EQ(p.exceptions.size(), 1u);
    EXPECT_EQ(p.exceptions[0].v1String(), "c 10:200 rwm");
}

bpf_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst;
    i.src_reg = src;
    i.off = off;
    i.imm = imm;
    return i;
}

void expectSame(const std::vector<bpf_insn>& got, const std::vector<bpf_insn>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); i++) {
        EXPECT_EQ(got[i].code, want[i].code) << "insn " << i;
        EXPECT_EQ(got[i].dst_reg, want[i].dst_reg) << "insn " << i;
        EXPECT_EQ(got[i].src_reg, want[i].src_reg) << "insn " << i;
        EXPECT_EQ(got[i].off, want[i].off) << "insn " << i;
        EXPECT_EQ(got[i].imm, want[i].imm) << "insn " << i;
    }
}

const std::vector<bpf_insn> kPrologue = {
    I(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0), I(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff),
    I(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0), I(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16),
    I(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0), I(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0)};

TEST(DeviceProgram, AllowListInstructions) {
    Policy p;
    p.exceptions.push_back(
        {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = R | W | M});
    p.exceptions.push_back({.allow = true, .type = 'c', .major = 136, .access = R | W});
    auto got = generateProgram(p);
    auto want = kPrologue;
    // c 1:3 rwm: type, major, minor checks, then allow.
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, 4, BPF_DEVCG_DEV_CHAR));
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 4, 0, 3, 1));
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 2, 3));
    want.push_back(I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
    want.push_back(I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    // c 136:* rw: requested access must be within rw (no m bit).
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, 6, BPF_DEVCG_DEV_CHAR));
    want.push_back(I(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
    want.push_back(I(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, M));
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 1, 0, 3, 0));
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 4, 0, 2, 136));
    want.push_back(I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
    want.push_back(I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    // Default deny.
    want.push_back(I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
    want.push_back(I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    expectSame(got, want);
}

TEST(DeviceProgram, DenyListUsesOverlap) {
    Policy p{.defaultAllow = true};
    p.exceptions.push_back({.allow = false, .type = 'b', .major = 8, .minor = 0, .access = W});
    auto got = generateProgram(p);
    auto want = kPrologue;
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, 7, BPF_DEVCG_DEV_BLOCK));
    want.push_back(I(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
    want.push_back(I(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, W));
    want.push_back(I(BPF_JMP32 | BPF_JEQ | BPF_K, 1, 0, 4, 0));
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 4, 0, 3, 8));
    want.push_back(I(BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 2, 0));
    want.push_back(I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
    want.push_back(I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    want.push_back(I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
    want.push_back(I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    expectSame(got, want);
}

// Opens path in a child placed in cgroup dir; returns the child's errno (0 on success).
int openInCgroup(const std::string& dir, const char* path, int flags) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (!cgfs::write(dir, "cgroup.procs", std::to_string(::getpid()))) ::_exit(200);
        int fd = ::open(path, flags);
        ::_exit(fd < 0 ? errno : 0);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

TEST(DeviceProgram, KernelEnforcesIt) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    std::string mount = "/sys/fs/cgroup/unified";
    if (!cgfs::exists(mount, "cgroup.controllers")) mount = "/sys/fs/cgroup";
    if (!cgfs::exists(mount, "cgroup.controllers")) GTEST_SKIP() << "no cgroup2 mount";
    std::string dir = mount + "/berth-test-bpf-" + std::to_string(std::random_device{}());
    ASSERT_TRUE(cgfs::mkdirOne(dir));
    // /dev/null (c 1:3) read-only, /dev/zero (c 1:5) fully; everything else denied.
    auto rules = normalize({rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "r"),
                            rule(true, "c", 1, 5, "rwm")});
    ASSERT_TRUE(rules);
    auto st = attachProgram(dir, generateProgram(emulate(*rules)));
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_EQ(openInCgroup(dir, "/dev/null", O_RDONLY), 0);
    EXPECT_EQ(openInCgroup(dir, "/dev/null", O_WRONLY), EPERM);
    EXPECT_EQ(openInCgroup(dir, "/dev/zero", O_RDWR), 0);
    EXPECT_EQ(openInCgroup(dir, "/dev/full", O_RDONLY), EPERM);
    // Replacing: the new program alone decides (the old one would still deny /dev/full).
    rules = normalize({rule(true, "a", {}, {}, "rwm"), rule(false, "c", 1, 5, "w")});
    ASSERT_TRUE(attachProgram(dir, generateProgram(emulate(*rules))));
    EXPECT_EQ(openInCgroup(dir, "/dev/full", O_RDONLY), 0);
    EXPECT_EQ(openInCgroup(dir, "/dev/zero", O_RDONLY), 0);
    EXPECT_EQ(openInCgroup(dir, "/dev/zero", O_WRONLY), EPERM);
    EXPECT_TRUE(cgfs::removeCgroup(dir));
}

}  // namespace
}  // namespace berth::cgroups::devices
