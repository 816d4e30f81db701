// Host port leases, each test inside a private netns (the host's ports are never touched).
#include "network/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <set>

#include <gtest/gtest.h>

#include "network/testing/ns_util.h"

namespace berth::net {
namespace {

using test::inNetns;
using test::Netns;

// A socket of "somebody else" bound (and for TCP listening) on ip:port.
UniqueFd foreign(int type, const char* ip, uint16_t port, bool reuse = false,
                 bool listening = true) {
    UniqueFd s(socket(AF_INET, type | SOCK_CLOEXEC, 0));
    int on = 1;
    if (reuse) setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return UniqueFd();
    if (type == SOCK_STREAM && listening && listen(s.get(), 1) != 0) return UniqueFd();
    return s;
}

class Ports : public ::testing::Test {
  protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root (netns)";
        auto n = Netns::create();
        ASSERT_TRUE(n.ok()) << n.error().str();
        ns_.emplace(std::move(*n));
        ASSERT_EQ(ns_->sh("ip link set lo up && ip addr add 127.0.0.2/8 dev lo 2>/dev/null; true"),
                  0);
    }
    // Runs the body inside the test's netns (sockets are per netns).
    template <typename F>
    void in(F f) {
        inNetns(ns_->fd(), [&] {
            f();
            return 0;
        });
    }
    std::optional<Netns> ns_;
};

PortRequest req(const char* proto, const char* ip, uint16_t port, uint16_t end = 0) {
    return PortRequest{proto, ip, port, end};
}

TEST(PortRange, Parse) {
    auto r = parsePortRange("32768\t60999\n");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first, 32768);
    EXPECT_EQ(r->second, 60999);
    EXPECT_FALSE(parsePortRange("5 4").ok());
    EXPECT_FALSE(parsePortRange("1 70000").ok());
    EXPECT_FALSE(parsePortRange("x").ok());
}

TEST_F(Ports, DefaultRangeFromProc) {
    in([] {
        auto pa = PortAllocator::open();
        ASSERT_TRUE(pa.ok()) << pa.error().str();
        auto r = (*pa)->range();
        EXPECT_GT(r.first, 0);
        EXPECT_LE(r.first, r.second);
        auto ports = (*pa)->reserve("c", {req("tcp", "", 0)});
        ASSERT_TRUE(ports.ok()) << ports.error().str();
        EXPECT_GE((*ports)[0], r.first);
        EXPECT_LE((*ports)[0], r.second);
    });
}

TEST_F(Ports, TakenByBerthOrByAnybodyElse) {
    in([] {
        auto pa = PortAllocator::open({40000, 40100}).value();
        auto a = pa->reserve("c1", {req("tcp", "", 8080)});
        ASSERT_TRUE(a.ok()) << a.error().str();
        EXPECT_EQ((*a)[0], 8080);
        auto b = pa->reserve("c2", {req("tcp", "", 8080)});
        ASSERT_FALSE(b.ok());
        EXPECT_EQ(b.error().str(), "Bind for 0.0.0.0:8080 failed: port is already allocated");
        // 127.0.0.1:8080 overlaps 0.0.0.0:8080.
        EXPECT_FALSE(pa->reserve("c2", {req("tcp", "127.0.0.1", 8080)}).ok());
        // Another protocol is another port.
        EXPECT_TRUE(pa->reserve("c2", {req("udp", "", 8080)}).ok());
        // Another program's listener, even one bound to a single address.
        UniqueFd other = foreign(SOCK_STREAM, "127.0.0.2", 9000);
        ASSERT_TRUE(other.valid());
        auto c = pa->reserve("c3", {req("tcp", "", 9000)});
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().str(), "Bind for 0.0.0.0:9000 failed: port is already allocated");
        // ...but a different host address of the same port is fine.
        EXPECT_TRUE(pa->reserve("c3", {req("tcp", "127.0.0.1", 9000)}).ok());
        UniqueFd u = foreign(SOCK_DGRAM, "0.0.0.0", 9001);
        ASSERT_TRUE(u.valid());
        EXPECT_FALSE(pa->reserve("c3", {req("udp", "", 9001)}).ok());
    });
}

TEST_F(Ports, HeldPortsKeepOthersOut) {
    in([] {
        auto pa = PortAllocator::open({40000, 40100}).value();
        ASSERT_TRUE(pa->reserve("c1", {req("tcp", "", 8081), req("udp", "", 8081)}).ok());
        EXPECT_FALSE(foreign(SOCK_STREAM, "0.0.0.0", 8081, true).valid());
        EXPECT_FALSE(foreign(SOCK_STREAM, "127.0.0.1", 8081, true).valid());
        EXPECT_FALSE(foreign(SOCK_DGRAM, "127.0.0.1", 8081, true).valid());
        pa->release("c1");
        pa->release("c1");  // idempotent
        EXPECT_TRUE(pa->leases().empty());
        EXPECT_TRUE(foreign(SOCK_STREAM, "0.0.0.0", 8081, true).valid());
    });
}

TEST_F(Ports, HostRangePicksAFreeOne) {
    in([] {
        auto pa = PortAllocator::open({40000, 40100}).value();
        UniqueFd other = foreign(SOCK_STREAM, "0.0.0.0", 8000);
        ASSERT_TRUE(other.valid());
        auto a = pa->reserve("c1", {req("tcp", "", 8000, 8002)});
        ASSERT_TRUE(a.ok()) << a.error().str();
        EXPECT_EQ((*a)[0], 8001);
        auto b = pa->reserve("c2", {req("tcp", "", 8000, 8002)});
        ASSERT_TRUE(b.ok()) << b.error().str();
        EXPECT_EQ((*b)[0], 8002);
        auto c = pa->reserve("c3", {req("tcp", "", 8000, 8002)});
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().str(), "Bind for 0.0.0.0:8000-8002 failed: port is already allocated");
    });
}

TEST_F(Ports, RandomPortsAreDistinctAndFromTheRange) {
    in([] {
        auto pa = PortAllocator::open({40000, 40004}).value();
        std::set<uint16_t> got;
        for (int i = 0; i < 5; i++) {
            auto r = pa->reserve("c" + std::to_string(i), {req("tcp", "", 0)});
            ASSERT_TRUE(r.ok()) << r.error().str();
            EXPECT_GE((*r)[0], 40000);
            EXPECT_LE((*r)[0], 40004);
            got.insert((*r)[0]);
        }
        EXPECT_EQ(got.size(), 5u);
        auto r = pa->reserve("x", {req("tcp", "", 0)});
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().str(), "no free tcp port in 40000-40004 on 0.0.0.0");
        // -P with two ports of one container gets two different ports.
        pa->release("c0");
        pa->release("c1");
        auto two = pa->reserve("y", {req("tcp", "", 0), req("tcp", "", 0)});
        ASSERT_TRUE(two.ok()) << two.error().str();
        EXPECT_NE((*two)[0], (*two)[1]);
    });
}

TEST_F(Ports, AllOrNone) {
    in([] {
        auto pa = PortAllocator::open({40000, 40100}).value();
        ASSERT_TRUE(pa->reserve("c1", {req("tcp", "", 8090)}).ok());
        auto r =
            pa->reserve("c2", {req("tcp", "", 8091), req("udp", "", 8092), req("tcp", "", 8090)});
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(pa->leases().size(), 1u);
        // 8091 was given back: another program can bind it.
        EXPECT_TRUE(foreign(SOCK_STREAM, "0.0.0.0", 8091, false).valid());
    });
}

TEST_F(Ports, IPv4AndIPv6AreSeparate) {
    in([] {
        auto pa = PortAllocator::open({40000, 40100}).value();
        ASSERT_TRUE(pa->reserve("c1", {req("tcp", "", 8443)}).ok());
        auto r = pa->reserve("c1", {req("tcp", "::", 8443)});
        ASSERT_TRUE(r.ok()) << r.error().str();
        auto again = pa->reserve("c2", {req("tcp", "::", 8443)});
        ASSERT_FALSE(again.ok());
        EXPECT_EQ(again.error().str(), "Bind for [::]:8443 failed: port is already allocated");
    });
}

TEST_F(Ports, BadInput) {
    in([] {
        auto pa = PortAllocator::open({40000, 40100}).value();
        EXPECT_FALSE(pa->reserve("c", {req("icmp", "", 80)}).ok());
        EXPECT_FALSE(pa->reserve("c", {req("tcp", "300.1.1.1", 80)}).ok());
        auto r = pa->reserve("c", {req("tcp", "10.9.9.9", 80)});  // not a local address
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, EADDRNOTAVAIL);
        EXPECT_NE(r.error().str().find("Bind for 10.9.9.9:80 failed"), std::string::npos);
        EXPECT_TRUE(pa->leases().empty());
    });
}

TEST_F(Ports, RestoreAfterRestart) {
    in([] {
        auto pa = PortAllocator::open({40000, 40100}).value();
        EXPECT_TRUE(pa->restore("c1", "tcp", "", 8100).ok());
        EXPECT_TRUE(pa->restore("c1", "tcp", "", 8100).ok());  // twice is fine
        UniqueFd other = foreign(SOCK_STREAM, "0.0.0.0", 8101);
        ASSERT_TRUE(other.valid());
        auto st = pa->restore("c2", "tcp", "0.0.0.0", 8101);
        EXPECT_FALSE(st.ok());  // reported...
        auto ls = pa->leases();
        ASSERT_EQ(ls.size(), 2u);  // ...but kept, so nobody else in Berth gets it
        EXPECT_TRUE(ls[0].held);
        EXPECT_FALSE(ls[1].held);
        EXPECT_FALSE(pa->reserve("c3", {req("tcp", "", 8101)}).ok());
        EXPECT_FALSE(pa->reserve("c3", {req("tcp", "", 8100)}).ok());
    });
}

}  // namespace
}  // namespace berth::net
