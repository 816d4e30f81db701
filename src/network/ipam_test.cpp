#include "network/ipam.h"

#include <gtest/gtest.h>

namespace berth::net {
namespace {

Prefix P(const char* s) { return Prefix::parse(s).value(); }
IpAddr A(const char* s) { return IpAddr::parse(s).value(); }

TEST(Addr, ParseAndPrint) {
    EXPECT_EQ(A("10.1.2.3").str(), "10.1.2.3");
    EXPECT_EQ(A("fd00::1").str(), "fd00::1");
    EXPECT_FALSE(IpAddr::parse("10.1.2").ok());
    EXPECT_FALSE(IpAddr::parse("").ok());
    EXPECT_EQ(P("10.1.2.3/8").masked().str(), "10.0.0.0/8");
    EXPECT_EQ(P("10.1.2.3").len, 32);
    EXPECT_FALSE(Prefix::parse("10.0.0.0/33").ok());
    EXPECT_FALSE(Prefix::parse("10.0.0.0/").ok());
    EXPECT_FALSE(Prefix::parse("10.0.0.0/x").ok());
    EXPECT_EQ(P("fd12:3456:789a::/48").masked().str(), "fd12:3456:789a::/48");
}

TEST(Addr, Arithmetic) {
    EXPECT_EQ(A("10.0.0.255").plus(1).str(), "10.0.1.0");
    EXPECT_EQ(A("fd00::ffff").plus(1).str(), "fd00::1:0");
    EXPECT_EQ(P("10.0.0.0/24").count(), 256u);
    EXPECT_EQ(P("10.0.0.0/24").offsetOf(A("10.0.0.17")), 17u);
    EXPECT_EQ(P("fd00::/64").offsetOf(A("fd00::1:2")), 0x10002u);
    EXPECT_EQ(P("fd00::/64").at(5).str(), "fd00::5");
    EXPECT_TRUE(P("10.0.0.0/8").overlaps(P("10.5.0.0/16")));
    EXPECT_TRUE(P("10.5.0.0/16").overlaps(P("10.0.0.0/8")));
    EXPECT_FALSE(P("10.0.0.0/16").overlaps(P("10.1.0.0/16")));
    EXPECT_FALSE(P("10.0.0.0/8").overlaps(P("fd00::/8")));
    EXPECT_TRUE(P("10.0.0.0/24").contains(A("10.0.0.9")));
    EXPECT_FALSE(P("10.0.0.0/24").contains(A("10.0.1.9")));
}

TEST(Addr, Mac) {
    EXPECT_EQ(macStr(macFromIpv4(A("172.17.0.2"))), "02:42:ac:11:00:02");
    EXPECT_EQ(macStr(parseMac("02:00:00:AA:bb:cc").value()), "02:00:00:aa:bb:cc");
    EXPECT_FALSE(parseMac("01:00:00:00:00:01").ok());  // multicast
    EXPECT_FALSE(parseMac("02:00:00:00:00").ok());
    EXPECT_FALSE(parseMac("02-00-00-00-00-01").ok());
    auto m = randomMac();
    EXPECT_EQ(m[0] & 3, 2);
}

TEST(Pools, ParseAndAllocate) {
    EXPECT_FALSE(Pool::parse("10.0.0.0/16").ok());
    EXPECT_FALSE(Pool::parse("10.0.0.0/16/8").ok());
    EXPECT_FALSE(Pool::parse("10.0.0.1/16/24").ok());
    std::vector<Pool> pools{Pool::parse("10.0.0.0/23/24").value(),
                            Pool::parse("192.168.0.0/22/23").value()};
    std::vector<Prefix> used{P("10.0.0.0/25")};
    EXPECT_EQ(allocateSubnet(pools, used).value().str(), "10.0.1.0/24");
    used.push_back(P("10.0.1.0/24"));
    EXPECT_EQ(allocateSubnet(pools, used).value().str(), "192.168.0.0/23");
    used.push_back(P("192.168.0.0/16"));
    auto r = allocateSubnet(pools, used);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().msg.find("could not find an available"), std::string::npos);
    EXPECT_EQ(defaultPools().front().base.str(), "172.17.0.0/16");
}

TEST(Pools, Ula) {
    Prefix ula = randomUla48();
    EXPECT_EQ(ula.addr.bytes[0], 0xfd);
    EXPECT_EQ(ula.len, 48);
    auto a = allocateUlaSubnet(ula, {}).value();
    EXPECT_EQ(a.len, 64);
    EXPECT_TRUE(ula.contains(a.addr));
    auto b = allocateUlaSubnet(ula, {a}).value();
    EXPECT_NE(a, b);
    EXPECT_EQ(b.addr.bytes[7], 1);
}

TEST(AddressSpace, SequentialSkippingReserved) {
    auto s = AddressSpace::make(P("10.0.0.0/29"), std::nullopt, A("10.0.0.1")).value();
    std::vector<std::string> got;
    for (int i = 0; i < 5; i++) got.push_back(s.allocate().value().str());
    EXPECT_EQ(got, (std::vector<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
                                             "10.0.0.6"}));
    auto full = s.allocate();
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.error().code, ENOSPC);
    // A released address is not handed out again before the others.
    s.release(A("10.0.0.3"));
    s.release(A("10.0.0.5"));
    EXPECT_EQ(s.allocate().value().str(), "10.0.0.3");  // wraps: 3 is the first free after 6
    EXPECT_EQ(s.allocate().value().str(), "10.0.0.5");
}

TEST(AddressSpace, RangeAndReserve) {
    auto s = AddressSpace::make(P("10.0.0.0/24"), P("10.0.0.128/30"), A("10.0.0.254")).value();
    EXPECT_EQ(s.allocate().value().str(), "10.0.0.128");
    EXPECT_TRUE(s.reserve(A("10.0.0.7")).ok());  // static: anywhere in the subnet
    EXPECT_EQ(s.reserve(A("10.0.0.7")).error().code, EADDRINUSE);
    EXPECT_EQ(s.reserve(A("10.0.0.254")).error().code, EADDRINUSE);  // gateway
    EXPECT_EQ(s.reserve(A("10.0.0.255")).error().code, EADDRINUSE);  // broadcast
    EXPECT_EQ(s.reserve(A("10.0.0.0")).error().code, EADDRINUSE);    // network
    EXPECT_FALSE(s.reserve(A("10.0.1.1")).ok());
    EXPECT_FALSE(AddressSpace::make(P("10.0.0.0/24"), P("10.1.0.0/28"), A("10.0.0.1")).ok());
    EXPECT_FALSE(AddressSpace::make(P("10.0.0.0/24"), std::nullopt, A("10.9.0.1")).ok());
}

TEST(AddressSpace, Ipv6) {
    auto s = AddressSpace::make(P("fd00:1::/64"), std::nullopt, A("fd00:1::1")).value();
    EXPECT_EQ(s.allocate().value().str(), "fd00:1::2");
    EXPECT_TRUE(s.reserve(A("fd00:1::ffff:ffff")).ok());
}

}  // namespace
}  // namespace berth::net
