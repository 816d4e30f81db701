// Berth's ruleset with real traffic. The test builds its own little world of network namespaces
// (never the host's network):
//
//   O "outside" 192.0.2.2 --- ext0 192.0.2.1  D "daemon/host"  br-a 10.77.1.1/24: c1 .2, c2 .3
//   (routes 10.77/16 and 10.96/16                               br-b 10.77.2.1/24: c3 .2
//    via 192.0.2.1, so only the firewall stops it)              br-i 10.77.3.1/24: c4 .2 (internal)
//
// Every container namespace runs TCP and UDP echo servers answering "<name> <source address>".
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "network/firewall.h"
#include "network/ports.h"
#include "network/testing/ns_util.h"

namespace berth::net {
namespace {

using test::ask;
using test::EchoServer;
using test::inNetns;
using test::Netns;

constexpr int kTcp = SOCK_STREAM, kUdp = SOCK_DGRAM;

struct World {
    std::map<std::string, Netns> ns;
    std::vector<std::unique_ptr<EchoServer>> servers;
    std::unique_ptr<Firewall> fw;
    std::string error;

    int fd(const std::string& n) { return ns.at(n).fd(); }
    bool sh(const std::string& n, const std::string& cmd) {
        if (ns.at(n).sh(cmd) == 0) return true;
        error = n + ": " + cmd;
        return false;
    }
};

World* world = nullptr;

// 10.77.N.X -> fd00:77:N::X (and 10.77.N -> fd00:77:N)
std::string v6(const std::string& v4) {
    std::string r = "fd00:77:" + v4.substr(6);
    auto dot = r.find('.');
    return dot == std::string::npos ? r : r.replace(dot, 1, "::");
}

FirewallState baseState() {
    FirewallState s;
    s.networks.push_back({"br-a", {"10.77.1.0/24"}, {}, false, true});
    s.networks.push_back({"br-b", {"10.77.2.0/24"}, {}, false, true});
    s.networks.push_back({"br-i", {"10.77.3.0/24"}, {}, true, true});
    return s;
}

FirewallState publishedState() {
    FirewallState s = baseState();
    s.ports.push_back({"tcp", "", 8080, "10.77.1.2", 80, "br-a"});
    s.ports.push_back({"udp", "", 5353, "10.77.1.2", 53, "br-a"});
    s.ports.push_back({"tcp", "127.0.0.1", 9090, "10.77.1.2", 80, "br-a"});
    s.ports.push_back({"tcp", "", 8081, "10.77.2.2", 80, "br-b"});
    // -p 7000-7001:80-81 on c2, expanded 1:1 by the caller
    s.ports.push_back({"tcp", "", 7000, "10.77.1.3", 80, "br-a"});
    s.ports.push_back({"tcp", "", 7001, "10.77.1.3", 81, "br-a"});
    return s;
}

Status apply(const FirewallState& s) {
    return inNetns(world->fd("D"), [&] { return world->fw->apply(s); });
}

class FirewallE2E : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0 || system("which nsenter ip >/dev/null 2>&1") != 0) return;
        world = new World;
        World& w = *world;
        for (auto n : {"D", "O", "c1", "c2", "c3", "c4"}) {
            auto ns = Netns::create();
            if (!ns) {
                w.error = ns.error().str();
                return;
            }
            w.ns.emplace(n, std::move(*ns));
        }
        auto p = [&](const char* n) { return w.ns.at(n).path(); };
        bool ok = w.sh("D",
                       "ip link set lo up && echo 1 > /proc/sys/net/ipv4/ip_forward && "
                       "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding") &&
                  w.sh("D", fmt::format("ip link add ext0 type veth peer name eth0 netns {} && "
                                        "ip addr add 192.0.2.1/24 dev ext0 && ip link set ext0 up "
                                        "&& ip route add default via 192.0.2.2 && "
                                        "ip -6 addr add fd00:2::1/64 dev ext0 nodad",
                                        p("O"))) &&
                  w.sh("O",
                       "ip link set lo up && ip addr add 192.0.2.2/24 dev eth0 && "
                       "ip link set eth0 up && ip route add 10.77.0.0/16 via 192.0.2.1 && "
                       "ip route add 10.96.0.0/16 via 192.0.2.1 && "
                       "ip -6 addr add fd00:2::2/64 dev eth0 nodad && "
                       "ip -6 route add fd00:77::/32 via fd00:2::1");
        for (auto [br, n] : {std::pair{"br-a", "1"}, {"br-b", "2"}, {"br-i", "3"}})
            ok = ok && w.sh("D", fmt::format("ip link add {0} type bridge && ip addr add "
                                             "10.77.{1}.1/24 dev {0} && ip -6 addr add "
                                             "fd00:77:{1}::1/64 dev {0} nodad && "
                                             "ip link set {0} up",
                                             br, n));
        struct C {
            const char *name, *br, *net, *ip;
        };
        for (auto c :
             {C{"c1", "br-a", "10.77.1", "10.77.1.2"}, C{"c2", "br-a", "10.77.1", "10.77.1.3"},
              C{"c3", "br-b", "10.77.2", "10.77.2.2"}, C{"c4", "br-i", "10.77.3", "10.77.3.2"}}) {
            ok =
                ok &&
                w.sh("D", fmt::format("ip link add v{0} type veth peer name eth0 netns {1} && "
                                      "ip link set v{0} master {2} up && "
                                      "ip link set v{0} type bridge_slave hairpin on",
                                      c.name, p(c.name), c.br)) &&
                w.sh(c.name, fmt::format("ip link set lo up && ip addr add {0}/24 dev eth0 && "
                                         "ip -6 addr add {1}/64 dev eth0 nodad && "
                                         "ip link set eth0 up && ip route add default via {2}.1 && "
                                         "ip -6 route add default via {3}::1",
                                         c.ip, v6(c.ip), c.net, v6(c.net)));
        }
        if (!ok) return;
        for (auto n : {"O", "c1", "c2", "c3", "c4"})
            for (uint16_t port : {80, 81}) {
                w.servers.push_back(std::make_unique<EchoServer>(w.fd(n), kTcp, port, n));
                if (port == 80)
                    w.servers.push_back(std::make_unique<EchoServer>(w.fd(n), kUdp, 53, n));
            }
        for (auto& s : w.servers)
            if (!s->ok()) w.error = "echo server did not start";
        auto fw = inNetns(w.fd("D"), [] { return Firewall::open({"berth", true}); });
        if (!fw) {
            w.error = "open firewall: " + fw.error().str();
            return;
        }
        w.fw = std::move(*fw);
    }
    static void TearDownTestSuite() {
        delete world;  // servers stop, namespaces (and all veths, bridges, rules) vanish
        world = nullptr;
    }
    void SetUp() override {
        if (!world) GTEST_SKIP() << "needs root, nsenter and ip";
        ASSERT_EQ(world->error, "");
    }
    void TearDown() override {
        if (world && world->fw) {
            EXPECT_TRUE(inNetns(world->fd("D"), [] { return world->fw->removeAll(); }).ok());
        }
    }

    static Result<std::string> tcp(const char* from, const std::string& ip, uint16_t port,
                                   int ms = 1500) {
        return ask(world->fd(from), kTcp, ip, port, ms);
    }
    static Result<std::string> udp(const char* from, const std::string& ip, uint16_t port,
                                   int ms = 1500) {
        return ask(world->fd(from), kUdp, ip, port, ms);
    }
    // For paths that must be blocked: a short wait is enough (the same path answers in ~1 ms
    // when open).
    static bool blocked(const char* from, const std::string& ip, uint16_t port, int type = kTcp) {
        return !ask(world->fd(from), type, ip, port, 600).ok();
    }
};

std::string val(const Result<std::string>& r) {
    return r.ok() ? *r : "ERR " + r.error().str();
}

TEST_F(FirewallE2E, WithoutRulesEverythingIsRouted) {
    // The baseline that makes the other tests mean something: the firewall is what blocks.
    EXPECT_EQ(val(tcp("c1", "10.77.2.2", 80)), "c3 10.77.1.2");
    EXPECT_EQ(val(tcp("c4", "192.0.2.2", 80)), "O 10.77.3.2");
    EXPECT_EQ(val(tcp("O", "10.77.1.2", 80)), "c1 192.0.2.2");
}

TEST_F(FirewallE2E, IsolationMasqueradeInternal) {
    ASSERT_TRUE(apply(baseState()).ok());
    EXPECT_EQ(val(tcp("c1", "10.77.1.3", 80)), "c2 10.77.1.2");  // same network
    EXPECT_TRUE(blocked("c1", "10.77.2.2", 80));                 // network A -> B
    EXPECT_TRUE(blocked("c3", "10.77.1.2", 80));                 // B -> A
    EXPECT_TRUE(blocked("c1", "10.77.3.2", 80));                 // into internal
    EXPECT_TRUE(blocked("c4", "192.0.2.2", 80));                 // internal has no egress
    EXPECT_TRUE(blocked("c4", "192.0.2.2", 53, kUdp));
    EXPECT_TRUE(blocked("O", "10.77.1.2", 80));  // no direct access from outside
    EXPECT_TRUE(blocked("O", "10.77.3.2", 80));
    // Egress is masqueraded behind the host's outside address.
    EXPECT_EQ(val(tcp("c1", "192.0.2.2", 80)), "O 192.0.2.1");
    EXPECT_EQ(val(udp("c3", "192.0.2.2", 53)), "O 192.0.2.1");
    // The host itself still reaches container addresses (locally generated, not forwarded).
    EXPECT_EQ(val(tcp("D", "10.77.1.2", 80)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("D", "10.77.3.2", 80)), "c4 10.77.3.1");
}

TEST_F(FirewallE2E, PublishedPorts) {
    ASSERT_TRUE(apply(publishedState()).ok());
    // From outside: the client's address is preserved.
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8080)), "c1 192.0.2.2");
    EXPECT_EQ(val(udp("O", "192.0.2.1", 5353)), "c1 192.0.2.2");
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8081)), "c3 192.0.2.2");
    // From the host itself, over loopback and over its own addresses.
    EXPECT_EQ(val(tcp("D", "127.0.0.1", 8080)), "c1 10.77.1.1");
    EXPECT_EQ(val(udp("D", "127.0.0.1", 5353)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("D", "192.0.2.1", 8080)), "c1 192.0.2.1");
    // (A source inside another Berth subnet is masqueraded like that network's traffic.)
    EXPECT_EQ(val(tcp("D", "10.77.2.1", 8080)), "c1 10.77.1.1");
    // Bound to 127.0.0.1 only.
    EXPECT_EQ(val(tcp("D", "127.0.0.1", 9090)), "c1 10.77.1.1");
    EXPECT_TRUE(blocked("O", "192.0.2.1", 9090));
    // A range mapped 1:1.
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 7000)), "c2 192.0.2.2");
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 7001)), "c2 192.0.2.2");
    // Hairpin: a container reaches its own published port and its neighbour's.
    EXPECT_EQ(val(tcp("c1", "192.0.2.1", 8080)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("c1", "10.77.1.1", 8080)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("c2", "192.0.2.1", 8080)), "c1 10.77.1.1");
    EXPECT_EQ(val(udp("c1", "192.0.2.1", 5353)), "c1 10.77.1.1");
    // Published ports are public: another network reaches them, through the host
    // (masqueraded behind the gateway, as its egress always is).
    EXPECT_EQ(val(tcp("c3", "192.0.2.1", 8080)), "c1 10.77.1.1");
    // ...but isolation holds for the container address itself.
    EXPECT_TRUE(blocked("c3", "10.77.1.2", 80));
    // A container's connection to port 8080 elsewhere is not caught by the binding.
    EXPECT_TRUE(blocked("c1", "192.0.2.2", 8080));
    // Unpublished ports of a published container stay closed from outside.
    EXPECT_TRUE(blocked("O", "10.77.1.2", 81));
}

// The daemon holds the published ports with sockets (ports.h); DNAT must still win over them.
TEST_F(FirewallE2E, HeldHostPortsDoNotCatchTraffic) {
    auto pa = inNetns(world->fd("D"), [] {
        auto a = PortAllocator::open();
        EXPECT_TRUE(a.ok());
        auto r =
            (*a)->reserve("c1", {{"tcp", "", 8080}, {"udp", "", 5353}, {"tcp", "127.0.0.1", 9090}});
        EXPECT_TRUE(r.ok()) << r.error().str();
        return std::move(*a);
    });
    ASSERT_TRUE(apply(publishedState()).ok());
    EXPECT_EQ(val(tcp("D", "127.0.0.1", 8080)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("D", "127.0.0.1", 9090)), "c1 10.77.1.1");
    EXPECT_EQ(val(udp("D", "127.0.0.1", 5353)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8080)), "c1 192.0.2.2");
    EXPECT_EQ(val(udp("O", "192.0.2.1", 5353)), "c1 192.0.2.2");
    EXPECT_EQ(val(tcp("c2", "192.0.2.1", 8080)), "c1 10.77.1.1");
}

// With br_netfilter off, same-bridge DNAT'ed traffic is routed rather than bridged: the
// hairpin paths must work that way too.
TEST_F(FirewallE2E, HairpinWithoutBrNetfilter) {
    const std::string knob = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    if (!world->sh("D", "test -w " + knob)) GTEST_SKIP() << "no br_netfilter";
    ASSERT_TRUE(world->sh("D", "echo 0 > " + knob));
    ScopeGuard restore([&] { world->sh("D", "echo 1 > " + knob); });
    ASSERT_TRUE(apply(publishedState()).ok());
    EXPECT_EQ(val(tcp("c1", "192.0.2.1", 8080)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("c2", "192.0.2.1", 8080)), "c1 10.77.1.1");
    EXPECT_EQ(val(udp("c2", "10.77.1.1", 5353)), "c1 10.77.1.1");
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8080)), "c1 192.0.2.2");
    EXPECT_EQ(val(tcp("D", "127.0.0.1", 8080)), "c1 10.77.1.1");
    EXPECT_TRUE(blocked("c3", "10.77.1.2", 80));
}

TEST_F(FirewallE2E, IPv6) {
    FirewallState s = baseState();
    s.networks[0].subnets6 = {"fd00:77:1::/64"};
    s.networks[1].subnets6 = {"fd00:77:2::/64"};
    s.networks[2].subnets6 = {"fd00:77:3::/64"};
    s.ports.push_back({"tcp", "", 8080, "fd00:77:1::2", 80, "br-a"});
    s.ports.push_back({"udp", "::", 5353, "fd00:77:1::2", 53, "br-a"});
    // Baseline without rules: routed both ways. The first IPv6 packets wait for neighbour
    // discovery on two links; on a loaded machine (the ASan run) that can outlast one probe.
    auto firstContact = [](const char* from, const std::string& ip) {
        Result<std::string> r = tcp(from, ip, 80, 3000);
        for (int i = 0; i < 2 && !r.ok(); i++) r = tcp(from, ip, 80, 3000);
        return r;
    };
    EXPECT_EQ(val(firstContact("c1", "fd00:77:2::2")), "c3 fd00:77:1::2");
    EXPECT_EQ(val(firstContact("O", "fd00:77:1::2")), "c1 fd00:2::2");
    ASSERT_TRUE(apply(s).ok());
    EXPECT_EQ(val(tcp("c1", "fd00:77:1::3", 80)), "c2 fd00:77:1::2");
    EXPECT_TRUE(blocked("c1", "fd00:77:2::2", 80));
    EXPECT_TRUE(blocked("c4", "fd00:2::2", 80));
    EXPECT_TRUE(blocked("O", "fd00:77:1::2", 80));
    EXPECT_EQ(val(tcp("c1", "fd00:2::2", 80)), "O fd00:2::1");
    EXPECT_EQ(val(tcp("O", "fd00:2::1", 8080)), "c1 fd00:2::2");
    EXPECT_EQ(val(udp("O", "fd00:2::1", 5353)), "c1 fd00:2::2");
    EXPECT_EQ(val(tcp("c2", "fd00:2::1", 8080)), "c1 fd00:77:1::1");
    EXPECT_EQ(val(tcp("c1", "fd00:2::1", 8080)), "c1 fd00:77:1::1");
    EXPECT_EQ(val(tcp("D", "fd00:2::1", 8080)), "c1 fd00:2::1");
    // IPv4 keeps working beside it.
    EXPECT_TRUE(blocked("c1", "10.77.2.2", 80));
}

TEST_F(FirewallE2E, ReplaceAndRemove) {
    ASSERT_TRUE(apply(publishedState()).ok());
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8080)), "c1 192.0.2.2");
    FirewallState s = baseState();
    s.ports.push_back({"tcp", "", 8082, "10.77.1.3", 80, "br-a"});
    ASSERT_TRUE(apply(s).ok());
    EXPECT_TRUE(blocked("O", "192.0.2.1", 8080));
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8082)), "c2 192.0.2.2");
    ASSERT_TRUE(inNetns(world->fd("D"), [] { return world->fw->removeAll(); }).ok());
    EXPECT_TRUE(blocked("O", "192.0.2.1", 8082));
    EXPECT_EQ(val(tcp("c1", "10.77.2.2", 80)), "c3 10.77.1.2");  // routed again, no isolation
    auto l = inNetns(world->fd("D"), [] { return world->fw->list(); });
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(*l, "");
}

// A restarted daemon opens a new Firewall: the old rules keep working until it applies its
// restored state (which replaces them with the same).
TEST_F(FirewallE2E, RulesSurviveADaemonRestart) {
    ASSERT_TRUE(apply(publishedState()).ok());
    auto fw2 = inNetns(world->fd("D"), [] { return Firewall::open({"berth", true}); });
    ASSERT_TRUE(fw2.ok()) << fw2.error().str();
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8080)), "c1 192.0.2.2");
    EXPECT_TRUE(blocked("c1", "10.77.2.2", 80));
    ASSERT_TRUE(inNetns(world->fd("D"), [&] { return (*fw2)->apply(publishedState()); }).ok());
    EXPECT_EQ(val(tcp("O", "192.0.2.1", 8080)), "c1 192.0.2.2");
    EXPECT_EQ(val(tcp("D", "127.0.0.1", 8080)), "c1 10.77.1.1");
}

TEST_F(FirewallE2E, ServiceVipBalancesOverBackends) {
    FirewallState s = baseState();
    s.services.push_back({"10.96.0.10", "tcp", 80, {{"10.77.1.2", 80}, {"10.77.1.3", 80}}});
    ASSERT_TRUE(apply(s).ok());
    std::set<std::string> seen;
    for (int i = 0; i < 40 && seen.size() < 2; i++) {
        auto r = tcp("O", "10.96.0.10", 80);
        ASSERT_TRUE(r.ok()) << r.error().str();
        seen.insert(r->substr(0, r->find(' ')));
        EXPECT_EQ(r->substr(r->find(' ') + 1), "192.0.2.2");
    }
    EXPECT_EQ(seen, (std::set<std::string>{"c1", "c2"}));
    // From a container on another network and from the host.
    EXPECT_TRUE(tcp("c3", "10.96.0.10", 80).ok());
    EXPECT_TRUE(tcp("D", "10.96.0.10", 80).ok());
}

TEST_F(FirewallE2E, BusyboxHttpdThroughPublishedPort) {
    // Debian's busybox-static (a listed dependency) has the httpd applet.
    char dir[] = "/tmp/berth-fw-httpd-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    ScopeGuard removeDir([&] { (void)sys::removeAll(dir); });
    ASSERT_TRUE(sys::writeFileAtomic(std::string(dir) + "/index.html", "hello-from-c2\n").ok());
    pid_t pid = fork();  // httpd -f stays in the foreground; stopped below by its pid
    if (pid == 0) {
        std::string net = "--net=" + world->ns.at("c2").path();
        execlp("nsenter", "nsenter", net.c_str(), "busybox", "httpd", "-f", "-p", "8000", "-h", dir,
               nullptr);
        _exit(127);
    }
    FirewallState s = baseState();
    s.ports.push_back({"tcp", "", 8888, "10.77.1.3", 8000, "br-a"});
    ASSERT_TRUE(apply(s).ok());
    std::string out;
    for (int i = 0; i < 40 && out.find("hello-from-c2") == std::string::npos; i++) {
        usleep(50000);  // httpd needs a moment to listen
        FILE* p = popen(fmt::format("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nsenter --net={} "
                                    "busybox nc 127.0.0.1 8888 2>&1",
                                    world->ns.at("D").path())
                            .c_str(),
                        "r");
        out.clear();
        char buf[256];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        pclose(p);
    }
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    EXPECT_NE(out.find("HTTP/1.1 200 OK"), std::string::npos) << out;
    EXPECT_NE(out.find("hello-from-c2"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::net
