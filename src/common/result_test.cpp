#include "common/result.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "common/scope_guard.h"
#include "common/unique_fd.h"

namespace berth {
namespace {

Result<int> failing() { return makeError(EPERM, "mount proc on {}", "/x/rootfs/proc"); }
Result<int> wrapped() {
    int v = TRY_CTX(failing(), "create {}", "web");
    return v + 1;
}
Result<int> passing() { return 41; }
Result<int> plusOne() { return TRY(passing()) + 1; }
Status voidChain() {
    TRY(Status(invalid("bad field {}", "x")));
    return {};
}

TEST(Result, WrapsContextAndKeepsErrno) {
    auto r = wrapped();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EPERM);
    EXPECT_EQ(r.error().str(), "create web: mount proc on /x/rootfs/proc: EPERM");
}

TEST(Result, TryYieldsValue) {
    auto r = plusOne();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 42);
}

TEST(Result, InvalidInputHasNoErrnoSuffix) {
    auto s = voidChain();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().str(), "bad field x");
    EXPECT_EQ(s.error().code, EINVAL);
}

TEST(ScopeGuard, RunsUnlessCancelled) {
    int n = 0;
    {
        ScopeGuard g([&] { n++; });
    }
    {
        ScopeGuard g([&] { n += 10; });
        g.cancel();
    }
    EXPECT_EQ(n, 1);
}

TEST(UniqueFd, ClosesAndMoves) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    {
        UniqueFd a(p[0]);
        UniqueFd b(std::move(a));
        EXPECT_FALSE(a.valid());
        EXPECT_EQ(b.get(), p[0]);
    }
    EXPECT_EQ(fcntl(p[0], F_GETFD), -1);
    close(p[1]);
}

}  // namespace
}  // namespace berth
