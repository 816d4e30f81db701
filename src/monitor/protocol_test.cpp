#include "monitor/protocol.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/sys.h"
#include "monitor/monitor.h"
#include "monitor/state_files.h"

namespace berth::monitor {
namespace {

TEST(Protocol, ControlMessages) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    UniqueFd a(sv[0]), b(sv[1]);
    ASSERT_TRUE(proto::sendMsg(a.get(), 'S', 12, -3, 1795600000123456789));
    auto m = proto::recvMsg(b.get());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, 'S');
    EXPECT_EQ(m->a, 12);
    EXPECT_EQ(m->b, -3);
    EXPECT_EQ(m->c, 1795600000123456789);
    Error e{ENOENT, "exec: \"nosuch\": executable file not found in $PATH", true};
    ASSERT_TRUE(proto::sendError(a.get(), e));
    m = proto::recvMsg(b.get());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, 'E');
    EXPECT_EQ(m->err.code, ENOENT);
    EXPECT_TRUE(m->err.quiet);
    EXPECT_EQ(m->err.msg, e.msg);
    EXPECT_EQ(exitCodeHint(m->err), 127);
    a.reset();
    m = proto::recvMsg(b.get());
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, EPIPE);
}

TEST(Protocol, ExitCodeHints) {
    EXPECT_EQ(exitCodeHint(Error{EACCES, "exec: \"/etc/passwd\""}), 126);
    EXPECT_EQ(exitCodeHint(Error{0, "open /x: no such file or directory"}), 127);
    EXPECT_EQ(exitCodeHint(Error{EINVAL, "bad cgroup"}), 128);
}

class StateFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-monitor-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
};

TEST_F(StateFiles, RoundTripAndInspect) {
    UniqueFd dfd(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dfd);
    auto st = inspect(dir_);
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->monitorAlive);
    EXPECT_FALSE(st->exit);
    ASSERT_TRUE(files::writeState(dfd.get(), {100, 200, 300}));
    ExitStatus x;
    x.exitCode = 137;
    x.finishedAtNs = 400;
    x.oomKilled = true;
    x.error = "some\nerror";
    ASSERT_TRUE(files::writeExit(dfd.get(), x));
    st = inspect(dir_);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->monitorPid, 100);
    EXPECT_EQ(st->pid, 200);
    EXPECT_EQ(st->startedAtNs, 300);
    ASSERT_TRUE(st->exit);
    EXPECT_EQ(st->exit->exitCode, 137);
    EXPECT_EQ(st->exit->finishedAtNs, 400);
    EXPECT_TRUE(st->exit->oomKilled);
    EXPECT_EQ(st->exit->error, "some\nerror");
    // No monitor: watchExit answers from the exit file with an fd already at EOF.
    auto w = watchExit(dir_);
    ASSERT_TRUE(w);
    char c;
    EXPECT_EQ(::read(w->get(), &c, 1), 0);
    ASSERT_TRUE(cleanup(dir_));
    EXPECT_FALSE(sys::exists(dir_));
    EXPECT_EQ(inspect(dir_).error().code, ENOENT);
}

TEST_F(StateFiles, LiveMonitorHoldsTheLock) {
    UniqueFd lock(::open((dir_ + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_EQ(::flock(lock.get(), LOCK_EX), 0);
    // flock locks belong to the open file description: inspect's own open conflicts with it.
    auto st = inspect(dir_);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->monitorAlive);
    EXPECT_EQ(cleanup(dir_).error().code, EBUSY);
    lock.reset();
    EXPECT_FALSE(inspect(dir_)->monitorAlive);
}

}  // namespace
}  // namespace berth::monitor
