#include "network/sock_redirect.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>

#include "network/netlink.h"
#include "network/testing/ns_util.h"

namespace berth::net {
namespace {

RedirectKey key(const char* ip, uint16_t port) {
    in_addr a{};
    inet_pton(AF_INET, ip, &a);
    return {a.s_addr, htons(port)};
}

TEST(RedirectTable, WildcardPortsGetEveryLocalAddressAndBoundOnesTheirOwn) {
    std::vector<RedirectPort> ports = {{"", 8080, "172.17.0.2", 80},
                                       {"127.0.0.1", 9000, "172.17.0.3", 9090},
                                       {"192.0.2.9", 9001, "172.17.0.3", 9091}};
    auto t = redirectTable(ports, {"127.0.0.1", "192.0.2.1", "172.17.0.1"}).value();
    RedirectTable want = {{key("127.0.0.1", 8080), key("172.17.0.2", 80)},
                          {key("192.0.2.1", 8080), key("172.17.0.2", 80)},
                          {key("172.17.0.1", 8080), key("172.17.0.2", 80)},
                          {key("127.0.0.1", 9000), key("172.17.0.3", 9090)}};
    // 192.0.2.9 is not local: that port stays with nftables.
    EXPECT_EQ(t, want);
    EXPECT_EQ(redirectTable({{"0.0.0.0", 1, "10.0.0.2", 2}}, {"10.0.0.1"}).value().size(), 1u);
}

TEST(RedirectTable, RejectsWhatIsNotTcpOverIpv4) {
    EXPECT_FALSE(redirectTable({{"", 8080, "fd00::2", 80}}, {"127.0.0.1"}).ok());
    EXPECT_FALSE(redirectTable({{"::", 8080, "172.17.0.2", 80}}, {"127.0.0.1"}).ok());
    EXPECT_FALSE(redirectTable({{"", 8080, "172.17.0.2", 0}}, {"127.0.0.1"}).ok());
    EXPECT_FALSE(redirectTable({}, {"::1"}).ok());
}

std::string cgroup2Root() {
    std::ifstream in("/proc/self/mounts");
    std::string dev, dir, type, rest;
    while (in >> dev >> dir >> type && std::getline(in, rest))
        if (type == "cgroup2") return dir;
    return "";
}

// A TCP connection from inside `ns` to ip:port: what the server answered ("<name> <peer>"),
// and what getpeername() said on the client side.
struct Dial {
    std::string answer, peer;
};
Result<Dial> dial(int nsfd, const std::string& ip, uint16_t port) {
    return test::inNetns(nsfd, [&]() -> Result<Dial> {
        socklen_t len = 0;
        sockaddr_storage ss = TRY(sockAddr(ip, port, len));
        UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        timeval tv{2, 0};
        setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
            return errnoError("connect {}:{}", ip, port);
        Dial d;
        sockaddr_in peer{};
        socklen_t plen = sizeof peer;
        if (getpeername(s.get(), reinterpret_cast<sockaddr*>(&peer), &plen) != 0)
            return errnoError("getpeername");
        char b[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &peer.sin_addr, b, sizeof b);
        d.peer = fmt::format("{}:{}", b, ntohs(peer.sin_port));
        char buf[256];
        ssize_t n;
        while ((n = read(s.get(), buf, sizeof buf)) > 0) d.answer.append(buf, size_t(n));
        return d;
    });
}

class SocketRedirectTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        root_ = cgroup2Root();
        ASSERT_FALSE(root_.empty()) << "no cgroup2 mount";
        // Two namespaces: `ns_` where the redirect applies, `other_` where it must not.
        for (auto* ns : {&ns_, &other_}) {
            *ns = std::make_unique<test::Netns>(test::Netns::create().value());
            auto nl = Netlink::openIn((*ns)->fd()).value();
            ASSERT_TRUE(nl.setUp(nl.linkIndex("lo").value()).ok());
            ASSERT_TRUE(nl.createBridge("rbr0", 1500, randomMac()).ok());
            int br = nl.linkIndex("rbr0").value();
            ASSERT_TRUE(nl.setUp(br).ok());
            ASSERT_TRUE(nl.addAddress(br, Prefix::parse("10.99.0.1/24").value()).ok());
            ASSERT_TRUE(nl.addAddress(br, Prefix::parse("10.99.0.2/24").value()).ok());
        }
    }
    std::string root_;
    std::unique_ptr<test::Netns> ns_, other_;
};

TEST_F(SocketRedirectTest, ConnectGoesStraightToTheTargetOnlyInItsNamespace) {
    test::EchoServer target(ns_->fd(), SOCK_STREAM, 9000, "target");
    test::EchoServer otherTarget(other_->fd(), SOCK_STREAM, 9000, "other");
    ASSERT_TRUE(target.ok() && otherTarget.ok());
    // Nothing listens on 8000: without the redirect a connection there is refused.
    ASSERT_FALSE(dial(ns_->fd(), "127.0.0.1", 8000).ok());

    auto r = test::inNetns(ns_->fd(), [&] { return SocketRedirect::open(root_); });
    ASSERT_TRUE(r.ok()) << r.error().str();
    auto redirect = std::move(*r);
    std::vector<RedirectPort> ports = {{"", 8000, "10.99.0.2", 9000},
                                       {"127.0.0.1", 8001, "10.99.0.2", 9000}};
    ASSERT_TRUE(test::inNetns(ns_->fd(), [&] { return redirect->sync(ports); }).ok());
    auto held = redirect->entries().value();
    EXPECT_EQ(held.size(), 4u);  // 8000 on 127.0.0.1, 10.99.0.1, 10.99.0.2; 8001 on 127.0.0.1
    EXPECT_EQ(held.at(key("10.99.0.1", 8000)), key("10.99.0.2", 9000));

    // Loopback: the target answers; the client still sees the published address.
    auto d = dial(ns_->fd(), "127.0.0.1", 8000);
    ASSERT_TRUE(d.ok()) << d.error().str();
    EXPECT_TRUE(d->answer.starts_with("target ")) << d->answer;
    EXPECT_EQ(d->peer, "127.0.0.1:8000");
    // A non-loopback local address: the client's source is that address, as through DNAT.
    d = dial(ns_->fd(), "10.99.0.1", 8000);
    ASSERT_TRUE(d.ok()) << d.error().str();
    EXPECT_EQ(d->answer, "target 10.99.0.1");
    EXPECT_EQ(d->peer, "10.99.0.1:8000");
    // Bound to loopback only.
    EXPECT_TRUE(dial(ns_->fd(), "127.0.0.1", 8001).ok());
    EXPECT_FALSE(dial(ns_->fd(), "10.99.0.1", 8001).ok());
    // Another namespace with the same addresses is not touched.
    EXPECT_FALSE(dial(other_->fd(), "127.0.0.1", 8000).ok());
    EXPECT_TRUE(dial(other_->fd(), "127.0.0.1", 9000).value().answer.starts_with("other "));
    // UDP is not redirected.
    EXPECT_FALSE(test::ask(ns_->fd(), SOCK_DGRAM, "127.0.0.1", 8000, 300).ok());

    // Sync removes what went away.
    ports.pop_back();
    ASSERT_TRUE(test::inNetns(ns_->fd(), [&] { return redirect->sync(ports); }).ok());
    EXPECT_EQ(redirect->entries().value().size(), 3u);
    EXPECT_FALSE(dial(ns_->fd(), "127.0.0.1", 8001).ok());

    // Closing detaches the programs: nothing of it is left in the kernel.
    redirect.reset();
    EXPECT_FALSE(dial(ns_->fd(), "127.0.0.1", 8000).ok());
}

TEST_F(SocketRedirectTest, FailsClearlyOnABadCgroup) {
    auto r = test::inNetns(ns_->fd(), [&] { return SocketRedirect::open("/nonexistent/cg"); });
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("/nonexistent/cg"), std::string::npos) << r.error().str();
}

}  // namespace
}  // namespace berth::net
