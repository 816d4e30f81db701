#include "runtime/sync.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/sys.h"

namespace berth {
namespace {

TEST(Sync, MessageWithPayloadAndFd) {
    auto p = sync::makePair();
    ASSERT_TRUE(p);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::string big(200000, 'x');  // larger than any fixed small buffer
    ASSERT_TRUE(sync::send(p->child.get(), sync::Msg::Go, 77, big, fds[0]));
    auto m = sync::recv(p->parent.get());
    ASSERT_TRUE(m) << m.error().str();
    EXPECT_EQ(m->type, sync::Msg::Go);
    EXPECT_EQ(m->value, 77);
    EXPECT_EQ(m->payload, big);
    ASSERT_TRUE(m->fd.valid());
    // The received fd is the same pipe, and close-on-exec.
    ASSERT_EQ(write(fds[1], "z", 1), 1);
    char c = 0;
    ASSERT_EQ(read(m->fd.get(), &c, 1), 1);
    EXPECT_EQ(c, 'z');
    EXPECT_TRUE(fcntl(m->fd.get(), F_GETFD) & FD_CLOEXEC);
    close(fds[0]);
    close(fds[1]);
}

TEST(Sync, ErrorsCrossWithTheirErrno) {
    auto p = sync::makePair();
    ASSERT_TRUE(p);
    sync::sendError(p->child.get(), makeError(EPERM, "mount proc on /x/proc"));
    auto m = sync::expect(p->parent.get(), sync::Msg::Created);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, EPERM);
    EXPECT_EQ(m.error().str(), "mount proc on /x/proc: EPERM");  // not named twice
}

TEST(Sync, PeerExitIsEPIPE) {
    auto p = sync::makePair();
    ASSERT_TRUE(p);
    p->child.reset();
    auto m = sync::recv(p->parent.get());
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, EPIPE);
}

TEST(Sync, UnexpectedTypeIsAnError) {
    auto p = sync::makePair();
    ASSERT_TRUE(p);
    ASSERT_TRUE(sync::send(p->child.get(), sync::Msg::HooksReady));
    auto m = sync::expect(p->parent.get(), sync::Msg::Created);
    ASSERT_FALSE(m);
}

}  // namespace
}  // namespace berth
