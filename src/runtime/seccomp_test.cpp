#include "runtime/seccomp.h"

#include <gtest/gtest.h>

#include "runtime/testing/in_child.h"
#include <poll.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "common/log.h"
#include "common/sys.h"

namespace berth {
namespace {

using test::Child;
using test::inChild;

spec::SeccompSyscall rule(std::vector<std::string> names, std::string action,
                          std::optional<uint32_t> errnoRet = std::nullopt,
                          std::vector<spec::SeccompArg> args = {}) {
    return spec::SeccompSyscall{std::move(names), std::move(action), errnoRet, std::move(args)};
}

spec::Seccomp allowAllBut(std::vector<spec::SeccompSyscall> rules) {
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    s.syscalls = std::move(rules);
    return s;
}

// The raw syscall, so the test does not depend on which syscall libc picks for mkdir().
long rawMkdir(const char* path) {
    return ::syscall(SYS_mkdir, path, 0700);
}

// Without CAP_SYS_ADMIN the kernel only takes a filter under no_new_privs.
void nnpUnlessRoot() {
    if (geteuid() != 0) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

std::string loadOrMsg(const spec::Seccomp& s) {
    nnpUnlessRoot();
    auto fd = seccomp::load(s);
    return fd ? "" : "load: " + fd.error().str();
}

TEST(Seccomp, ErrnoRuleKeepsOtherSyscalls) {
    spec::Seccomp s = allowAllBut({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", 38)});
    ASSERT_TRUE(seccomp::validate(s)) << seccomp::validate(s).error().str();
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (rawMkdir("/tmp/berth-seccomp-test-x") != -1 || errno != ENOSYS)
            return fmt::format("mkdir: want ENOSYS, got errno {}", errno);
        if (::syscall(SYS_getpid) != getpid()) return "getpid broken";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, DefaultErrnoRet) {
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ERRNO";
    s.defaultErrnoRet = EXDEV;
    // Besides exit and write (the report), what sanitizer runtimes call on the way out.
    s.syscalls = {rule({"exit_group", "exit", "write", "sigaltstack", "munmap", "mmap", "madvise",
                        "rt_sigprocmask", "rt_sigaction", "close", "futex", "getpid", "gettid"},
                       "SCMP_ACT_ALLOW")};
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_getppid) != -1 || errno != EXDEV)
            return fmt::format("getppid: want EXDEV, got errno {}", errno);
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, ErrnoDefaultsToEperm) {
    spec::Seccomp s = allowAllBut({rule({"getppid"}, "SCMP_ACT_ERRNO")});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_getppid) != -1 || errno != EPERM) return "getppid: want EPERM";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, ArgumentCondition) {
    // Only personality(0xffffffff) (the query) is refused, as in Docker's profile inverted.
    spec::Seccomp s = allowAllBut(
        {rule({"personality"}, "SCMP_ACT_ERRNO", EACCES, {{0, 0xffffffff, 0, "SCMP_CMP_EQ"}})});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_personality, 0xffffffffUL) != -1 || errno != EACCES)
            return "personality(0xffffffff) was not refused";
        if (::syscall(SYS_personality, 0UL) < 0) return "personality(0) was refused";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, ConditionsOnDistinctArgsAreAnd) {
    // getpriority(PRIO_PROCESS, 4242) only; the raw syscall never returns -1 on success.
    spec::Seccomp s =
        allowAllBut({rule({"getpriority"}, "SCMP_ACT_ERRNO", ENOTTY,
                          {{0, PRIO_PROCESS, 0, "SCMP_CMP_EQ"}, {1, 4242, 0, "SCMP_CMP_EQ"}})});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_getpriority, PRIO_PROCESS, 4242) != -1 || errno != ENOTTY)
            return "getpriority(PROCESS, 4242) not refused";
        if (::syscall(SYS_getpriority, PRIO_PROCESS, 0) < 0) return "getpriority(PROCESS, 0)";
        if (::syscall(SYS_getpriority, PRIO_PGRP, 0) < 0) return "getpriority(PGRP, 0)";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, ConditionsOnSameArgAreOr) {
    // runc splits repeated indexes into one rule per condition: umask(017) OR umask(027).
    spec::Seccomp s = allowAllBut({rule({"umask"}, "SCMP_ACT_ERRNO", ENOTTY,
                                        {{0, 017, 0, "SCMP_CMP_EQ"}, {0, 027, 0, "SCMP_CMP_EQ"}})});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_umask, 017) != -1) return "umask(017) not refused";
        if (::syscall(SYS_umask, 027) != -1) return "umask(027) not refused";
        if (::syscall(SYS_umask, 022) < 0) return "umask(022) refused";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, MaskedEq) {
    // value is the mask, valueTwo the expected value: refuse any umask with 0100 set.
    spec::Seccomp s = allowAllBut(
        {rule({"umask"}, "SCMP_ACT_ERRNO", ENOTTY, {{0, 0100, 0100, "SCMP_CMP_MASKED_EQ"}})});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_umask, 0177) != -1) return "umask(0177) not refused";
        if (::syscall(SYS_umask, 022) < 0) return "umask(022) refused";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, KillProcessKillsWithSigsys) {
    spec::Seccomp s = allowAllBut({rule({"getppid"}, "SCMP_ACT_KILL_PROCESS")});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        ::syscall(SYS_getppid);
        return "survived getppid";
    });
    ASSERT_TRUE(WIFSIGNALED(c.status)) << c.msg;
    EXPECT_EQ(WTERMSIG(c.status), SIGSYS);
}

TEST(Seccomp, TrapRaisesSigsys) {
    spec::Seccomp s = allowAllBut({rule({"getppid"}, "SCMP_ACT_TRAP")});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        ::syscall(SYS_getppid);
        return "survived getppid";
    });
    ASSERT_TRUE(WIFSIGNALED(c.status)) << c.msg;
    EXPECT_EQ(WTERMSIG(c.status), SIGSYS);
}

TEST(Seccomp, TraceWithoutTracerIsEnosys) {
    spec::Seccomp s = allowAllBut({rule({"getppid"}, "SCMP_ACT_TRACE", 7)});
    s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
               "SECCOMP_FILTER_FLAG_TSYNC"};
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_getppid) != -1 || errno != ENOSYS) return "getppid: want ENOSYS";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, LogAndKillThreadActionsLoad) {
    spec::Seccomp s =
        allowAllBut({rule({"getppid"}, "SCMP_ACT_LOG"), rule({"acct"}, "SCMP_ACT_KILL"),
                     rule({"swapon"}, "SCMP_ACT_KILL_THREAD")});
    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (::syscall(SYS_getppid) != getppid()) return "getppid under LOG failed";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, UnknownNamesAreErrorsNamingThem) {
    spec::Seccomp s =
        allowAllBut({rule({"getppid"}, "SCMP_ACT_ALLOW"), rule({"getppid"}, "SCMP_ACT_ALLOW"),
                     rule({"getppid"}, "SCMP_ACT_ALLOW"), rule({"mkdir"}, "SCMP_ACT_FOO")});
    auto st = seccomp::validate(s);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");

    s = allowAllBut({rule({"mkdir"}, "SCMP_ACT_ERRNO", std::nullopt, {{0, 1, 0, "SCMP_CMP_XX"}})});
    st = seccomp::validate(s);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg,
              "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");

    s = allowAllBut({rule({"mkdir"}, "SCMP_ACT_ERRNO", std::nullopt, {{6, 1, 0, "SCMP_CMP_EQ"}})});
    st = seccomp::validate(s);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");

    s = allowAllBut({});
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
    st = seccomp::validate(s);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg,
              "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");

    s = allowAllBut({});
    s.flags = {"SECCOMP_FILTER_FLAG_BOGUS"};
    st = seccomp::validate(s);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");

    s = allowAllBut({});
    s.defaultAction = "SCMP_ACT_NOPE";
    st = seccomp::validate(s);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
}

TEST(Seccomp, AllArchitecturesOfTheSpecAreKnown) {
    // Every spec arch either goes into a filter or is reported as unsupported by this
    // libseccomp or as big-endian next to the little-endian native one, never as unknown.
    for (const char* a : {"SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
                          "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC64LE",
                          "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64"}) {
        spec::Seccomp s = allowAllBut({rule({"mkdir"}, "SCMP_ACT_ERRNO")});
        s.architectures = {a};
        auto st = seccomp::validate(s);
        if (!st) {
            const std::string& m = st.error().msg;
            EXPECT_TRUE(m.find("not supported by libseccomp") != std::string::npos ||
                        m.find("different byte order") != std::string::npos)
                << m;
        }
    }
}

TEST(Seccomp, UnknownSyscallIsIgnoredWithWarning) {
    char logPath[] = "/tmp/berth-seccomp-log-XXXXXX";
    int lfd = mkstemp(logPath);
    ASSERT_GE(lfd, 0);
    close(lfd);
    log::init({logPath});
    spec::Seccomp s =
        allowAllBut({rule({"no_such_syscall_berth", "mkdir"}, "SCMP_ACT_ERRNO", ENOSYS)});
    auto st = seccomp::validate(s);
    log::init({});
    EXPECT_TRUE(st) << st.error().str();
    auto text = sys::readFile(logPath);
    unlink(logPath);
    ASSERT_TRUE(text);
    EXPECT_NE(text->find("unknown syscall \\\"no_such_syscall_berth\\\" ignored"),
              std::string::npos)
        << *text;

    Child c = inChild([&]() -> std::string {
        if (auto m = loadOrMsg(s); !m.empty()) return m;
        if (rawMkdir("/tmp/berth-seccomp-test-y") != -1 || errno != ENOSYS) return "mkdir ran";
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST(Seccomp, NotifyNeedsListenerPathAndNotWrite) {
    spec::Seccomp s = allowAllBut({rule({"mkdir"}, "SCMP_ACT_NOTIFY")});
    EXPECT_TRUE(seccomp::usesNotify(s));
    auto st = seccomp::validate(s);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("listenerPath"), std::string::npos) << st.error().msg;

    s.listenerPath = "/run/agent.sock";
    EXPECT_TRUE(seccomp::validate(s));
    s.syscalls.push_back(rule({"write"}, "SCMP_ACT_NOTIFY"));
    EXPECT_FALSE(seccomp::validate(s));
    s.syscalls.pop_back();
    s.defaultAction = "SCMP_ACT_NOTIFY";
    EXPECT_FALSE(seccomp::validate(s));
}

TEST(Seccomp, ProcessStateJson) {
    auto j = seccomp::processStateJson(R"({"ociVersion":"1.2.0","id":"c1","status":"creating"})",
                                       42, "meta");
    ASSERT_TRUE(j) << j.error().str();
    EXPECT_EQ(*j, R"({"fds":["seccompFd"],"metadata":"meta","ociVersion":"1.2.0","pid":42,)"
                  R"("state":{"id":"c1","ociVersion":"1.2.0","status":"creating"}})");
    EXPECT_FALSE(seccomp::processStateJson("nope", 1, ""));
}

// Receives one message with an fd over `conn` (the parent's side of sendListener).
bool recvFd(int conn, std::string& data, int& fd) {
    char buf[4096];
    struct iovec iov = {buf, sizeof buf};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return false;
    data.assign(buf, static_cast<size_t>(n));
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return false;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return true;
}

class SeccompNotify : public ::testing::TestWithParam<bool> {};

TEST_P(SeccompNotify, AgentAnswersWithAnError) {
    std::string sockPath = fmt::format("/tmp/berth-seccomp-agent-{}.sock", getpid());
    unlink(sockPath.c_str());
    UniqueFd srv(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, sockPath.c_str());
    ASSERT_EQ(bind(srv.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(srv.get(), 1), 0);

    spec::Seccomp s = allowAllBut({rule({"mkdir"}, "SCMP_ACT_NOTIFY")});
    s.listenerPath = sockPath;
    if (GetParam()) s.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    const std::string state = R"({"ociVersion":"1.2.0","id":"notify-test"})";

    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        srv.reset();
        auto fail = [&](const std::string& m) {
            (void)!write(p[1], m.data(), m.size());
            _exit(1);
        };
        nnpUnlessRoot();
        auto fd = seccomp::load(s);
        if (!fd) fail("load: " + fd.error().str());
        if (!fd->valid()) fail("no listener fd");
        auto st = seccomp::sendListener(sockPath, fd->get(), state);
        if (!st) fail("sendListener: " + st.error().str());
        fd->reset();
        if (rawMkdir("/tmp/berth-seccomp-notify") != -1 || errno != EROFS)
            fail(fmt::format("mkdir: want EROFS from the agent, got errno {}", errno));
        _exit(0);
    }
    close(p[1]);
    struct pollfd pfd = {srv.get(), POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 10000), 1) << "child never connected";
    UniqueFd conn(accept4(srv.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(conn.valid());
    std::string data;
    int raw = -1;
    ASSERT_TRUE(recvFd(conn.get(), data, raw));
    UniqueFd listener(raw);
    EXPECT_EQ(data, state);

    struct seccomp_notif* req = nullptr;
    struct seccomp_notif_resp* resp = nullptr;
    ASSERT_EQ(seccomp_notify_alloc(&req, &resp), 0);
    pfd = {listener.get(), POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 10000), 1) << "no notification";
    ASSERT_EQ(seccomp_notify_receive(listener.get(), req), 0);
    EXPECT_EQ(req->pid, static_cast<uint32_t>(pid));
    EXPECT_EQ(req->data.nr, SYS_mkdir);
    resp->id = req->id;
    resp->error = -EROFS;
    resp->val = 0;
    resp->flags = 0;
    EXPECT_EQ(seccomp_notify_respond(listener.get(), resp), 0);
    seccomp_notify_free(req, resp);

    int status = 0;
    waitpid(pid, &status, 0);
    std::string msg;
    char buf[256];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
    close(p[0]);
    unlink(sockPath.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << msg;
}

INSTANTIATE_TEST_SUITE_P(WaitKillable, SeccompNotify, ::testing::Bool());

}  // namespace
}  // namespace berth
