// The generated nft script (text) and its application in a private netns (kernel accepts it,
// replaces it atomically, removes it, leaves other tables alone). Traffic tests are in
// firewall_e2e_test.cpp.
#include "network/firewall.h"

#include <sched.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nftables/libnftables.h>

#include "network/netlink.h"
#include "runtime/testing/in_child.h"

namespace berth::net {
namespace {

// One nft command through libnftables (no nft binary): its output, or nullopt when it failed.
std::optional<std::string> nft(const std::string& cmd, unsigned flags = 0) {
    nft_ctx* c = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!c) return std::nullopt;
    nft_ctx_output_set_flags(c, flags);
    nft_ctx_buffer_output(c);
    nft_ctx_buffer_error(c);
    bool ok = nft_run_cmd_from_buffer(c, cmd.c_str()) == 0;
    std::string out = nft_ctx_get_output_buffer(c);
    nft_ctx_free(c);
    if (!ok) return std::nullopt;
    return out;
}
// Its output, "" on failure (as the listing of a table that is not there).
std::string nftOut(const std::string& cmd, unsigned flags = 0) {
    return nft(cmd, flags).value_or("");
}

FirewallState sample() {
    FirewallState s;
    s.networks.push_back({"berth0", {"172.17.0.0/16"}, {}, false, true});
    s.networks.push_back({"br-web", {"10.88.1.0/24"}, {"fd00:88:1::/64"}, false, true});
    s.networks.push_back({"br-int", {"10.88.2.0/24"}, {}, true, true});
    s.ports.push_back({"tcp", "", 8080, "10.88.1.2", 80, "br-web"});
    s.ports.push_back({"udp", "127.0.0.1", 5353, "10.88.1.2", 53, "br-web"});
    return s;
}

size_t count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) n++;
    return n;
}

TEST(FirewallRender, FullScriptIPv4) {
    FirewallState s;
    s.networks.push_back({"br-a", {"10.1.0.0/24"}, {}, false, true});
    s.networks.push_back({"br-i", {"10.2.0.0/24"}, {}, true, true});
    s.ports.push_back({"tcp", "", 8080, "10.1.0.2", 80, "br-a"});
    auto r = renderRuleset(s, "berth");
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(*r,
              "table ip berth\n"
              "delete table ip berth\n"
              "table ip berth {\n"
              "\tset bridges {\n\t\ttype ifname\n\t\telements = { \"br-a\", \"br-i\" }\n\t}\n"
              "\tchain forward {\n"
              "\t\ttype filter hook forward priority filter; policy accept;\n"
              "\t\tct state established,related accept\n"
              "\t\tiifname \"br-i\" oifname != \"br-i\" drop\n"
              "\t\toifname \"br-i\" iifname != \"br-i\" drop\n"
              "\t\toifname @bridges ct status dnat accept\n"
              "\t\tiifname . oifname { \"br-a\" . \"br-a\", \"br-i\" . \"br-i\" } accept\n"
              "\t\toifname @bridges drop\n"
              "\t}\n"
              "\tmap pub_ip_tcp {\n"
              "\t\ttype ipv4_addr . inet_service : ipv4_addr . inet_service\n"
              "\t}\n"
              "\tmap pub_any_tcp {\n"
              "\t\ttype inet_service : ipv4_addr . inet_service\n"
              "\t\telements = { 8080 : 10.1.0.2 . 80 }\n"
              "\t}\n"
              "\tmap pub_ip_udp {\n"
              "\t\ttype ipv4_addr . inet_service : ipv4_addr . inet_service\n"
              "\t}\n"
              "\tmap pub_any_udp {\n"
              "\t\ttype inet_service : ipv4_addr . inet_service\n"
              "\t}\n"
              "\tmap pub_ip_sctp {\n"
              "\t\ttype ipv4_addr . inet_service : ipv4_addr . inet_service\n"
              "\t}\n"
              "\tmap pub_any_sctp {\n"
              "\t\ttype inet_service : ipv4_addr . inet_service\n"
              "\t}\n"
              "\tchain published {\n"
              "\t\tmeta l4proto tcp dnat ip to ip daddr . tcp dport map @pub_ip_tcp\n"
              "\t\tmeta l4proto tcp dnat ip to tcp dport map @pub_any_tcp\n"
              "\t\tmeta l4proto udp dnat ip to ip daddr . udp dport map @pub_ip_udp\n"
              "\t\tmeta l4proto udp dnat ip to udp dport map @pub_any_udp\n"
              "\t\tmeta l4proto sctp dnat ip to ip daddr . sctp dport map @pub_ip_sctp\n"
              "\t\tmeta l4proto sctp dnat ip to sctp dport map @pub_any_sctp\n"
              "\t}\n"
              "\tchain prerouting {\n"
              "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
              "\t\tfib daddr type local jump published\n"
              "\t}\n"
              "\tchain output {\n"
              "\t\ttype nat hook output priority -100; policy accept;\n"
              "\t\tfib daddr type local jump published\n"
              "\t}\n"
              "\tchain postrouting {\n"
              "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
              "\t\tip saddr 10.1.0.0/24 oifname != \"br-a\" masquerade\n"
              "\t\toifname \"br-a\" ip saddr 10.1.0.0/24 ct status dnat masquerade\n"
              "\t\toifname \"br-i\" ip saddr 10.2.0.0/24 ct status dnat masquerade\n"
              "\t\toifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
              "\t}\n"
              "}\n"
              "table ip6 berth\n"
              "delete table ip6 berth\n");
}

TEST(FirewallRender, InternalNetworkIsNotMasqueraded) {
    auto r = renderRuleset(sample());
    ASSERT_TRUE(r.ok()) << r.error().str();
    // No outbound masquerade for br-int (its hairpin rule is all).
    EXPECT_EQ(count(*r, "10.88.2.0/24"), 1u) << *r;
    EXPECT_EQ(r->find("ip saddr 10.88.2.0/24 oifname"), std::string::npos);
    EXPECT_NE(r->find("ip saddr 172.17.0.0/16 oifname != \"berth0\" masquerade"),
              std::string::npos);
    EXPECT_NE(r->find("iifname \"br-int\" oifname != \"br-int\" drop"), std::string::npos);
}

TEST(FirewallRender, MasqueradeOffOption) {
    FirewallState s;
    s.networks.push_back({"br-a", {"10.1.0.0/24"}, {}, false, false});
    auto r = renderRuleset(s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->find("saddr 10.1.0.0/24 oifname != "), std::string::npos);
}

TEST(FirewallRender, HostIpBindingsAndUdp) {
    auto r = renderRuleset(sample());
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->find("\tmap pub_any_tcp {\n\t\ttype inet_service : ipv4_addr . inet_service\n"
                      "\t\telements = { 8080 : 10.88.1.2 . 80 }\n"),
              std::string::npos)
        << *r;
    EXPECT_NE(r->find("\tmap pub_ip_udp {\n\t\ttype ipv4_addr . inet_service : ipv4_addr . "
                      "inet_service\n\t\telements = { 127.0.0.1 . 5353 : 10.88.1.2 . 53 }\n"),
              std::string::npos);
    EXPECT_NE(r->find("\t\tmeta l4proto udp dnat ip to ip daddr . udp dport map @pub_ip_udp\n"),
              std::string::npos);
    // No such bindings: an empty map.
    EXPECT_NE(r->find("\tmap pub_any_udp {\n\t\ttype inet_service : ipv4_addr . inet_service\n"
                      "\t}\n"),
              std::string::npos);
    FirewallState s = sample();
    s.ports[0].hostIp = "0.0.0.0";  // same as "": every local address
    auto r2 = renderRuleset(s);
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(*r, *r2);
}

TEST(FirewallRender, IPv6TableOnlyWhenUsed) {
    FirewallState s = sample();
    auto r = renderRuleset(s);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->find("table ip6 berth {\n"), std::string::npos);
    EXPECT_NE(r->find("ip6 saddr fd00:88:1::/64 oifname != \"br-web\" masquerade"),
              std::string::npos);
    EXPECT_EQ(count(*r, "127.0.0.0/8"), 1u);  // only the ip table has the loopback masquerade
    s.networks[1].subnets6.clear();
    auto r2 = renderRuleset(s);
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->find("table ip6 berth {"), std::string::npos);
    EXPECT_NE(r2->find("table ip6 berth\ndelete table ip6 berth\n"), std::string::npos);
}

TEST(FirewallRender, PortUpdate) {
    FirewallState s = sample();
    auto r = renderPortUpdate(s, "bt");
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(*r,
              "flush map ip bt pub_ip_tcp\n"
              "flush map ip bt pub_any_tcp\n"
              "add element ip bt pub_any_tcp { 8080 : 10.88.1.2 . 80 }\n"
              "flush map ip bt pub_ip_udp\n"
              "add element ip bt pub_ip_udp { 127.0.0.1 . 5353 : 10.88.1.2 . 53 }\n"
              "flush map ip bt pub_any_udp\n"
              "flush map ip bt pub_ip_sctp\n"
              "flush map ip bt pub_any_sctp\n"
              // br-web has an IPv6 subnet, so the ip6 table exists: its maps are emptied too.
              "flush map ip6 bt pub_ip_tcp\n"
              "flush map ip6 bt pub_any_tcp\n"
              "flush map ip6 bt pub_ip_udp\n"
              "flush map ip6 bt pub_any_udp\n"
              "flush map ip6 bt pub_ip_sctp\n"
              "flush map ip6 bt pub_any_sctp\n");
    s.ports[0].containerIp = "bogus";
    EXPECT_FALSE(renderPortUpdate(s).ok());
}

TEST(FirewallRender, IPv6PortNeedsIPv6Network) {
    FirewallState s = sample();
    s.ports.push_back({"tcp", "", 8080, "fd00:77::2", 80, "berth0"});  // berth0 is IPv4 only
    EXPECT_FALSE(renderRuleset(s).ok());
}

TEST(FirewallRender, IPv6Port) {
    FirewallState s = sample();
    s.ports.push_back({"tcp", "::", 8080, "fd00:88:1::2", 80, "br-web"});
    s.ports.push_back({"tcp", "fd00:1::1", 8081, "fd00:88:1::2", 81, "br-web"});
    auto r = renderRuleset(s);
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_NE(r->find("elements = { 8080 : fd00:88:1::2 . 80 }"), std::string::npos) << *r;
    EXPECT_NE(r->find("elements = { fd00:1::1 . 8081 : fd00:88:1::2 . 81 }"), std::string::npos);
    EXPECT_NE(r->find("meta l4proto tcp dnat ip6 to ip6 daddr . tcp dport map @pub_ip_tcp"),
              std::string::npos);
}

TEST(FirewallRender, SubnetsAreNormalized) {
    FirewallState s;
    s.networks.push_back({"br-a", {"10.1.0.7/24"}, {}, false, true});
    auto r = renderRuleset(s);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->find("ip saddr 10.1.0.0/24 "), std::string::npos);
}

TEST(FirewallRender, Services) {
    FirewallState s = sample();
    s.services.push_back({"10.96.0.10", "tcp", 80, {{"10.88.1.2", 8080}, {"10.88.1.3", 8080}}});
    s.services.push_back({"10.96.0.11", "udp", 53, {}});
    auto r = renderRuleset(s);
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_NE(r->find("elements = { 10.96.0.10 . tcp . 80 : goto svc-0, "
                      "10.96.0.11 . udp . 53 : goto svc-1 }"),
              std::string::npos)
        << *r;
    EXPECT_NE(r->find("meta l4proto tcp dnat ip to numgen random mod 2 map "
                      "{ 0 : 10.88.1.2 . 8080, 1 : 10.88.1.3 . 8080 }"),
              std::string::npos);
    EXPECT_NE(r->find("\tchain svc-1 {\n\t\tdrop\n\t}\n"), std::string::npos);
    EXPECT_EQ(count(*r, "jump services"), 2u);  // prerouting and output
}

TEST(FirewallRender, RejectsBadInput) {
    auto bad = [](auto mutate) {
        FirewallState s = sample();
        mutate(s);
        return renderRuleset(s);
    };
    for (auto name : {"", "br\"; flush ruleset", "br a", "0123456789abcdef", "br\n"}) {
        auto r = bad([&](FirewallState& s) { s.networks[0].bridge = name; });
        EXPECT_FALSE(r.ok()) << name;
    }
    EXPECT_FALSE(bad([](FirewallState& s) { s.networks[0].subnets4 = {"10.0.0.0/33"}; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.networks[0].subnets4 = {"fd00::/64"}; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.networks[0].subnets6 = {"10.0.0.0/8"}; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.networks[1].bridge = "berth0"; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.ports[0].proto = "icmp"; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.ports[0].bridge = "nope"; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.ports[0].containerIp = "10.1.1"; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.ports[0].hostIp = "::1"; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.ports[0].hostPort = 0; }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) { s.ports.push_back(s.ports[0]); }).ok());
    EXPECT_FALSE(bad([](FirewallState& s) {
                     s.ports.push_back(s.ports[0]);
                     s.ports.back().hostIp = "0.0.0.0";
                     s.ports.back().containerIp = "10.88.1.9";
                 }).ok());
    // Same port on another protocol or another host address is fine.
    EXPECT_TRUE(bad([](FirewallState& s) {
                    s.ports.push_back(s.ports[0]);
                    s.ports.back().proto = "udp";
                }).ok());
    auto e = renderRuleset(sample(), "x; flush ruleset");
    ASSERT_FALSE(e.ok());
}

TEST(FirewallRender, Removal) {
    EXPECT_EQ(renderRemoval("bt"),
              "table ip bt\ndelete table ip bt\ntable ip6 bt\ndelete table ip6 bt\n");
}

// The kernel side, in a private netns of a forked child.
class FirewallKernel : public ::testing::Test {
  protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root";
    }
};

#define CHECK_OR(cond, msg)                   \
    do {                                      \
        if (!(cond)) return std::string(msg); \
    } while (0)

TEST_F(FirewallKernel, ApplyReplaceRemoveKeepsOtherTables) {
    auto c = test::inChild([]() -> std::string {
        if (unshare(CLONE_NEWNET) != 0) return "unshare";
        // Somebody else's table that must survive everything we do.
        if (!nft("table ip other { chain c { type filter hook forward priority 0; "
                 "ip saddr 1.2.3.4 drop; }; }"))
            return "nft other";
        auto fw = Firewall::open({"berth", false});
        if (!fw) return "open: " + fw.error().str();
        FirewallState s = sample();
        s.services.push_back({"10.96.0.10", "tcp", 80, {{"10.88.1.2", 80}, {"10.88.1.3", 80}}});
        s.services.push_back({"fd00:96::10", "tcp", 80, {{"fd00:88:1::2", 80}}});
        s.ports.push_back({"tcp", "", 8443, "fd00:88:1::2", 443, "br-web"});
        if (auto st = (*fw)->apply(s); !st) return "apply: " + st.error().str();
        auto l = (*fw)->list();
        if (!l) return "list: " + l.error().str();
        CHECK_OR(l->find("8080 : 10.88.1.2 . 80") != std::string::npos, *l);
        CHECK_OR(l->find("table ip6 berth") != std::string::npos, *l);
        CHECK_OR(l->find("numgen random mod 2") != std::string::npos, *l);
        // Replace: the old port is gone, the new one is there.
        s.ports = {{"udp", "", 9999, "10.88.1.3", 99, "br-web"}};
        s.services.clear();
        s.networks[1].subnets6.clear();
        if (auto st = (*fw)->apply(s); !st) return "apply 2: " + st.error().str();
        l = (*fw)->list();
        CHECK_OR(l.ok() && l->find("8080") == std::string::npos, "old port still there");
        CHECK_OR(l->find("9999 : 10.88.1.3 . 99") != std::string::npos, *l);
        CHECK_OR(l->find("table ip6 berth") == std::string::npos, "ip6 table left: " + *l);
        // A state the kernel rejects changes nothing (one transaction). The renderer lets a
        // duplicate service VIP through; nft refuses the map, after the new port's rule.
        FirewallState bad = s;
        bad.services.push_back({"10.96.0.10", "tcp", 80, {{"10.88.1.2", 80}}});
        bad.services.push_back({"10.96.0.10", "tcp", 80, {{"10.88.1.3", 80}}});
        bad.ports.push_back({"tcp", "", 7777, "10.88.1.3", 77, "br-web"});
        auto st = (*fw)->apply(bad);
        CHECK_OR(!st, "duplicate VIP accepted");
        CHECK_OR(st.error().str().starts_with("apply firewall rules: "), st.error().str());
        l = (*fw)->list();
        CHECK_OR(
            l.ok() && l->find("9999") != std::string::npos && l->find("7777") == std::string::npos,
            "failed apply changed the ruleset: " + l.valueOr(""));
        if (auto st2 = (*fw)->removeAll(); !st2) return "removeAll: " + st2.error().str();
        if (auto st2 = (*fw)->removeAll(); !st2) return "removeAll twice: " + st2.error().str();
        l = (*fw)->list();
        CHECK_OR(l.ok() && l->empty(), "tables left: " + l.valueOr("?"));
        std::string all = nftOut("list ruleset");
        CHECK_OR(all.find("table ip other") != std::string::npos &&
                     all.find("ip saddr 1.2.3.4 drop") != std::string::npos,
                 "other table touched: " + all);
        CHECK_OR(all.find("berth") == std::string::npos, "berth left: " + all);
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

// The table's handle: a full replace makes a new table, a port update keeps it.
std::string tableHandle() {
    std::string l = nftOut("list table ip berth", NFT_CTX_OUTPUT_HANDLE);
    auto p = l.find("table ip berth { # handle ");
    return p == std::string::npos ? "" : l.substr(p, l.find('\n', p) - p);
}

TEST_F(FirewallKernel, PortChangesOnlyRewriteTheMaps) {
    auto c = test::inChild([]() -> std::string {
        if (unshare(CLONE_NEWNET) != 0) return "unshare";
        auto fw = Firewall::open({"berth", false});
        if (!fw) return "open: " + fw.error().str();
        FirewallState s = sample();
        if (auto st = (*fw)->apply(s); !st) return "apply: " + st.error().str();
        std::string h1 = tableHandle();
        CHECK_OR(!h1.empty(), "no table");
        s.ports = {{"tcp", "", 9000, "10.88.1.5", 90, "br-web"}};
        if (auto st = (*fw)->apply(s); !st) return "apply 2: " + st.error().str();
        CHECK_OR(tableHandle() == h1, "port change replaced the table");
        std::string l = nftOut("list table ip berth");
        CHECK_OR(l.find("9000 : 10.88.1.5 . 90") != std::string::npos &&
                     l.find("8080") == std::string::npos && l.find("5353") == std::string::npos,
                 l);
        // A network change replaces everything.
        s.networks.push_back({"br-new", {"10.99.0.0/24"}, {}, false, true});
        if (auto st = (*fw)->apply(s); !st) return "apply 3: " + st.error().str();
        std::string h3 = tableHandle();
        CHECK_OR(!h3.empty() && h3 != h1, "network change kept the table");
        // Our table deleted behind our back: the port update fails, the full replace follows.
        if (!nft("delete table ip berth")) return "nft delete";
        s.ports.push_back({"udp", "", 9001, "10.88.1.5", 91, "br-web"});
        if (auto st = (*fw)->apply(s); !st) return "apply 4: " + st.error().str();
        l = nftOut("list table ip berth");
        CHECK_OR(l.find("9001 : 10.88.1.5 . 91") != std::string::npos &&
                     l.find("br-new") != std::string::npos,
                 l);
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST_F(FirewallKernel, OpenLeavesTheRulesOfAPreviousDaemon) {
    auto c = test::inChild([]() -> std::string {
        if (unshare(CLONE_NEWNET) != 0) return "unshare";
        {
            auto fw = Firewall::open({"berth", false});
            if (!fw) return "open: " + fw.error().str();
            if (auto st = (*fw)->apply(sample()); !st) return "apply: " + st.error().str();
        }  // the daemon goes (kill -9 or a stop without removeRules)
        std::string before = nftOut("list ruleset");
        auto fw = Firewall::open({"berth", false});
        if (!fw) return "open 2: " + fw.error().str();
        std::string after = nftOut("list ruleset");
        CHECK_OR(before == after, "open changed the ruleset:\n" + before + "\n---\n" + after);
        CHECK_OR(after.find("8080 : 10.88.1.2 . 80") != std::string::npos, after);
        CHECK_OR(after.find("probe") == std::string::npos, "probe table left: " + after);
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST_F(FirewallKernel, NoPermissionIsAClearError) {
    auto c = test::inChild([]() -> std::string {
        // A fresh user namespace has no capabilities over the netns we are in.
        if (unshare(CLONE_NEWUSER) != 0) return "unshare";
        auto fw = Firewall::open();
        CHECK_OR(!fw, "open succeeded without CAP_NET_ADMIN");
        std::string m = fw.error().str();
        CHECK_OR(m.starts_with("nftables not usable: ") &&
                     m.find("Operation not permitted") != std::string::npos &&
                     m.find("CAP_NET_ADMIN") != std::string::npos,
                 m);
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

TEST_F(FirewallKernel, ApplySetsSysctls) {
    auto c = test::inChild([]() -> std::string {
        if (unshare(CLONE_NEWNET) != 0) return "unshare";
        // /proc/sys/net follows the netns of the opener, but /proc must be ours: remount is
        // not needed because /proc/sys/net resolves per task.
        auto nl = Netlink::open();
        if (!nl || !nl->createBridge("br-sys", 1500, randomMac())) return "create bridge br-sys";
        auto fw = Firewall::open({"berth", true});
        if (!fw) return "open: " + fw.error().str();
        FirewallState s;
        s.networks.push_back({"br-sys", {"10.9.0.0/24"}, {}, false, true});
        s.networks.push_back({"br-missing", {"10.9.1.0/24"}, {}, false, true});
        if (auto st = (*fw)->apply(s); !st) return "apply: " + st.error().str();
        auto rd = [](const char* p) {
            FILE* f = fopen(p, "r");
            if (!f) return std::string("?");
            char b[16] = {};
            (void)!fgets(b, sizeof b, f);
            fclose(f);
            return std::string(b);
        };
        CHECK_OR(rd("/proc/sys/net/ipv4/ip_forward") == "1\n", "ip_forward");
        CHECK_OR(rd("/proc/sys/net/ipv4/conf/br-sys/route_localnet") == "1\n", "route_localnet");
        return "";
    });
    EXPECT_TRUE(c.ok()) << c.msg;
}

}  // namespace
}  // namespace berth::net
