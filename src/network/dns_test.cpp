// The embedded DNS: wire format units, then the server for real inside network namespaces,
// queried with glibc's resolver (res_nsend: an independent client, UDP and TCP) and busybox
// nslookup, forwarding to fake upstream servers in the "daemon" namespace.
#include "network/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "network/dns_impl.h"
#include "network/dns_message.h"
#include "network/testing/ns_util.h"

namespace berth::net {
namespace {

using test::inNetns;
using test::Netns;

// ---- wire format ----------------------------------------------------------------------------

dns::Bytes makeQuery(uint16_t id, const std::string& name, uint16_t type, bool edns = false,
                     uint16_t ednsSize = 4096) {
    dns::Bytes b = {static_cast<uint8_t>(id >> 8),
                    static_cast<uint8_t>(id),
                    0x01,
                    0x00,
                    0,
                    1,
                    0,
                    0,
                    0,
                    0,
                    0,
                    static_cast<uint8_t>(edns ? 1 : 0)};
    auto n = dns::encodeName(name);
    b.insert(b.end(), n->begin(), n->end());
    b.insert(b.end(), {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
    if (edns)
        b.insert(b.end(), {0, 0, 41, static_cast<uint8_t>(ednsSize >> 8),
                           static_cast<uint8_t>(ednsSize), 0, 0, 0, 0, 0, 0});
    return b;
}

uint16_t at16(const dns::Bytes& b, size_t off) {
    return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}

TEST(DnsMessage, ParseQuery) {
    auto raw = makeQuery(0x1234, "Web.MyNet", dns::A, true, 1400);
    auto q = dns::parseQuery(raw.data(), raw.size());
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->id, 0x1234);
    EXPECT_EQ(q->name, "web.mynet");
    EXPECT_EQ(q->type, dns::A);
    EXPECT_EQ(q->cls, dns::kClassIn);
    EXPECT_EQ(q->badRcode, 0);
    EXPECT_TRUE(q->edns);
    EXPECT_EQ(q->udpSize, 1400);
    EXPECT_EQ(q->question.size(), 1 + 3 + 1 + 5 + 1 + 4u);
}

TEST(DnsMessage, ParseRejects) {
    auto raw = makeQuery(1, "web", dns::A);
    EXPECT_FALSE(dns::parseQuery(raw.data(), 11).has_value());  // no header
    auto resp = raw;
    resp[2] |= 0x80;  // a response, not a query
    EXPECT_FALSE(dns::parseQuery(resp.data(), resp.size()).has_value());
    auto cut = dns::parseQuery(raw.data(), raw.size() - 2);  // question cut short
    ASSERT_TRUE(cut.has_value());
    EXPECT_EQ(cut->badRcode, dns::FormErr);
    auto two = raw;
    two[5] = 2;  // two questions
    EXPECT_EQ(dns::parseQuery(two.data(), two.size())->badRcode, dns::FormErr);
    auto op = raw;
    op[2] |= 0x10;  // opcode 2 (status)
    EXPECT_EQ(dns::parseQuery(op.data(), op.size())->badRcode, dns::NotImp);
    auto ptr = raw;
    ptr[12] = 0xC0;  // compression in a question
    EXPECT_EQ(dns::parseQuery(ptr.data(), ptr.size())->badRcode, dns::FormErr);
    dns::Bytes dotted = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1};
    EXPECT_EQ(dns::parseQuery(dotted.data(), dotted.size())->badRcode, dns::FormErr);
}

TEST(DnsMessage, BuildAnswerAndTruncate) {
    auto raw = makeQuery(7, "web", dns::A);
    auto q = *dns::parseQuery(raw.data(), raw.size());
    std::vector<dns::Record> recs;
    for (int i = 0; i < 40; i++) recs.push_back(dns::aRecord("10.0.0." + std::to_string(i + 1)));
    auto b = dns::buildResponse(q, dns::NoError, recs, 600, 512, true);
    EXPECT_LE(b.size(), 512u);
    EXPECT_EQ(at16(b, 0), 7);
    uint16_t flags = at16(b, 2);
    EXPECT_TRUE(flags & dns::kFlagQr);
    EXPECT_TRUE(flags & dns::kFlagAa);
    EXPECT_TRUE(flags & dns::kFlagTc);
    EXPECT_TRUE(flags & dns::kFlagRd);  // copied
    EXPECT_EQ(flags & 0xF, 0);
    EXPECT_EQ(at16(b, 4), 1);
    EXPECT_EQ(at16(b, 6), (512 - 12 - 8) / 16);  // 31 A records fit
    auto all = dns::buildResponse(q, dns::NoError, recs, 600, 65535, true);
    EXPECT_FALSE(at16(all, 2) & dns::kFlagTc);
    EXPECT_EQ(at16(all, 6), 40);
    // First answer: pointer to the question name, type A, class IN, TTL 600, 10.0.0.1.
    size_t a0 = 12 + q.question.size();
    EXPECT_EQ(at16(all, a0), 0xC00C);
    EXPECT_EQ(at16(all, a0 + 2), dns::A);
    EXPECT_EQ(at16(all, a0 + 4), 1);
    EXPECT_EQ(at16(all, a0 + 8), 600);
    EXPECT_EQ(at16(all, a0 + 10), 4);
    EXPECT_EQ(dns::Bytes(all.begin() + a0 + 12, all.begin() + a0 + 16), (dns::Bytes{10, 0, 0, 1}));
    auto nx = dns::buildResponse(q, dns::NXDomain, {}, 0, 512, true);
    EXPECT_EQ(at16(nx, 2) & 0xF, dns::NXDomain);
    EXPECT_EQ(at16(nx, 6), 0);
}

TEST(DnsMessage, EdnsEchoed) {
    auto raw = makeQuery(9, "web", dns::AAAA, true);
    auto q = *dns::parseQuery(raw.data(), raw.size());
    auto b = dns::buildResponse(q, dns::NoError, {dns::aaaaRecord("fd00::1")}, 5, 4096, true);
    EXPECT_EQ(at16(b, 10), 1);       // the OPT record
    EXPECT_EQ(b[b.size() - 11], 0);  // root name
    EXPECT_EQ(at16(b, b.size() - 10), dns::OPT);
    EXPECT_EQ(at16(b, b.size() - 8), dns::kOurUdpSize);
}

TEST(DnsMessage, Names) {
    EXPECT_EQ(*dns::encodeName("a.bc."), (dns::Bytes{1, 'a', 2, 'b', 'c', 0}));
    EXPECT_EQ(*dns::encodeName(""), (dns::Bytes{0}));
    EXPECT_FALSE(dns::encodeName("a..b").has_value());
    EXPECT_FALSE(dns::encodeName(std::string(64, 'x')).has_value());
    EXPECT_EQ(dns::reverseName("4.3.2.10.in-addr.arpa"), "10.2.3.4");
    EXPECT_FALSE(dns::reverseName("3.2.10.in-addr.arpa").has_value());
    EXPECT_FALSE(dns::reverseName("300.3.2.10.in-addr.arpa").has_value());
    EXPECT_EQ(dns::reverseName("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f."
                               "ip6.arpa"),
              "fd00::1");
    EXPECT_FALSE(dns::reverseName("1.0.ip6.arpa").has_value());
    EXPECT_FALSE(dns::reverseName("web").has_value());
}

TEST(DnsMessage, IsAnswerTo) {
    auto raw = makeQuery(5, "Web", dns::A);
    auto q = *dns::parseQuery(raw.data(), raw.size());
    auto ans = dns::buildResponse(q, dns::NoError, {}, 0, 512, false);
    EXPECT_TRUE(dns::isAnswerTo(ans.data(), ans.size(), 5, q.question));
    EXPECT_FALSE(dns::isAnswerTo(ans.data(), ans.size(), 6, q.question));
    auto other = makeQuery(5, "wEB", dns::AAAA);
    auto q2 = *dns::parseQuery(other.data(), other.size());
    EXPECT_FALSE(dns::isAnswerTo(ans.data(), ans.size(), 5, q2.question));
    EXPECT_FALSE(dns::isAnswerTo(raw.data(), raw.size(), 5, q.question));  // not a response
}

TEST(DnsConfig, ResolvConfAndUpstreams) {
    auto ns = parseResolvConfNameservers(
        "# comment\nsearch example.com\nnameserver 10.0.0.2\n  nameserver   fe80::1%eth0\n"
        "nameserver\noptions ndots:2\nnameserver 127.0.0.53\n");
    EXPECT_EQ(ns, (std::vector<std::string>{"10.0.0.2", "fe80::1", "127.0.0.53"}));
    for (auto s : {"1.1.1.1", "1.1.1.1:5353", "::1", "[::1]:53", "[2001:db8::1]"})
        EXPECT_TRUE(parseDnsUpstream(s).ok()) << s;
    for (auto s : {"", "1.1.1", "1.1.1.1:0", "1.1.1.1:70000", "[::1", "[::1]x", "name.example"})
        EXPECT_FALSE(parseDnsUpstream(s).ok()) << s;
    auto u = *parseDnsUpstream("[::1]:5300");
    EXPECT_EQ(u.addr.ss_family, AF_INET6);
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in6*>(&u.addr)->sin6_port), 5300);
    EXPECT_TRUE(DnsServer::start({{"not-an-ip", "1.1.1.1"}}).ok());  // skipped, not fatal
    auto s = DnsServer::start({});
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE((*s)->addSandbox("c", "/proc/self/ns/net", {{}, {}, {"bad"}}).ok());
}

// ---- the server in namespaces ---------------------------------------------------------------

// A fake upstream DNS server (UDP and TCP) in a netns: fixed A answers, NXDOMAIN otherwise,
// silence for names in `silent`.
class FakeUpstream {
  public:
    FakeUpstream(int nsfd, const std::string& ip, uint16_t port,
                 std::map<std::string, std::string> answers, std::set<std::string> silent = {})
        : answers_(std::move(answers)), silent_(std::move(silent)) {
        t_ = std::thread([this, nsfd, ip, port] {
            if (setns(nsfd, CLONE_NEWNET) != 0) return (void)(ready_ = -1);
            socklen_t len = 0;
            auto ss = *test::sockAddr(ip, port, len);
            UniqueFd u(socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            UniqueFd t(socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
            int on = 1;
            setsockopt(t.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
            if (bind(u.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
                bind(t.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(t.get(), 8))
                return (void)(ready_ = -1);
            ready_ = 1;
            serve(u.get(), t.get());
        });
        while (ready_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~FakeUpstream() {
        stop_ = true;
        t_.join();
    }
    bool ok() const { return ready_ == 1; }
    int queries() const { return queries_; }
    std::string lastName() {
        std::lock_guard lk(mu_);
        return last_;
    }

  private:
    std::optional<dns::Bytes> answer(const uint8_t* p, size_t n) {
        auto q = dns::parseQuery(p, n);
        if (!q) return std::nullopt;
        queries_++;
        {
            std::lock_guard lk(mu_);
            last_ = q->name;
        }
        if (silent_.count(q->name)) return std::nullopt;
        auto it = answers_.find(q->name);
        if (it == answers_.end()) return dns::buildResponse(*q, dns::NXDomain, {}, 0, 512, true);
        return dns::buildResponse(*q, dns::NoError, {dns::aRecord(it->second)}, 60, 512, true);
    }
    void serve(int u, int t) {
        while (!stop_) {
            pollfd p[2] = {{u, POLLIN, 0}, {t, POLLIN, 0}};
            if (poll(p, 2, 50) <= 0) continue;
            uint8_t buf[4096];
            if (p[0].revents & POLLIN) {
                sockaddr_storage peer{};
                socklen_t len = sizeof peer;
                ssize_t n =
                    recvfrom(u, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len);
                if (n > 0)
                    if (auto a = answer(buf, static_cast<size_t>(n)))
                        sendto(u, a->data(), a->size(), 0, reinterpret_cast<sockaddr*>(&peer), len);
            }
            if (p[1].revents & POLLIN) {
                UniqueFd c(accept(t, nullptr, nullptr));
                ssize_t n = read(c.get(), buf, sizeof buf);  // small queries come in one piece
                if (n > 2)
                    if (auto a = answer(buf + 2, static_cast<size_t>(n - 2))) {
                        uint8_t l[2] = {static_cast<uint8_t>(a->size() >> 8),
                                        static_cast<uint8_t>(a->size())};
                        (void)!write(c.get(), l, 2);
                        (void)!write(c.get(), a->data(), a->size());
                    }
            }
        }
    }
    std::map<std::string, std::string> answers_;
    std::set<std::string> silent_;
    std::thread t_;
    std::atomic<int> ready_{0}, queries_{0};
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::string last_;
};

struct Reply {
    int rcode = -1;
    bool tc = false, aa = false;
    std::vector<std::string> addrs;  // A / AAAA / PTR rdata in order
};

// Asks 127.0.0.11 from inside `nsfd` with glibc's resolver (no EDNS: res_nmkquery adds none).
// tcp: RES_USEVC. ignoreTc: return a truncated UDP answer instead of retrying over TCP.
Result<Reply> ask(int nsfd, const std::string& name, int type, bool tcp = false,
                  bool ignoreTc = false) {
    return inNetns(nsfd, [&]() -> Result<Reply> {
        struct __res_state st {};
        if (res_ninit(&st) != 0) return Error{0, "res_ninit"};
        st.nscount = 1;
        st.nsaddr_list[0].sin_family = AF_INET;
        st.nsaddr_list[0].sin_port = htons(53);
        inet_pton(AF_INET, "127.0.0.11", &st.nsaddr_list[0].sin_addr);
        st.retrans = 1;
        st.retry = 1;
        if (tcp) st.options |= RES_USEVC;
        if (ignoreTc) st.options |= RES_IGNTC;
        uint8_t q[512], a[65536];
        int qn =
            res_nmkquery(&st, QUERY, name.c_str(), C_IN, type, nullptr, 0, nullptr, q, sizeof q);
        if (qn < 0) return Error{0, "res_nmkquery"};
        int n = res_nsend(&st, q, qn, a, sizeof a);
        res_nclose(&st);
        if (n < 12) return Error{ETIMEDOUT, "no answer for " + name};
        Reply r;
        r.rcode = a[3] & 0xF;
        r.tc = a[2] & 0x02;
        r.aa = a[2] & 0x04;
        int qd = a[4] << 8 | a[5], an = a[6] << 8 | a[7];
        const uint8_t* p = a + 12;
        const uint8_t* end = a + n;
        for (int i = 0; i < qd; i++) {
            int s = dn_skipname(p, end);
            if (s < 0) return Error{0, "bad question"};
            p += s + 4;
        }
        for (int i = 0; i < an; i++) {
            int s = dn_skipname(p, end);
            if (s < 0 || p + s + 10 > end) return Error{0, "bad answer"};
            p += s;
            int t = p[0] << 8 | p[1], len = p[8] << 8 | p[9];
            p += 10;
            char buf[256];
            if (t == T_A) inet_ntop(AF_INET, p, buf, sizeof buf);
            if (t == T_AAAA) inet_ntop(AF_INET6, p, buf, sizeof buf);
            if (t == T_PTR && dn_expand(a, end, p, buf, sizeof buf) < 0) return Error{0, "ptr"};
            r.addrs.push_back(buf);
            p += len;
        }
        return r;
    });
}

// Sends a raw query over UDP from inside `nsfd` to 127.0.0.11:53 (for what glibc hides: SERVFAIL
// answers, EDNS buffer sizes).
Result<dns::Bytes> rawAsk(int nsfd, const dns::Bytes& query) {
    return inNetns(nsfd, [&]() -> Result<dns::Bytes> {
        socklen_t len = 0;
        auto ss = TRY(test::sockAddr("127.0.0.11", 53, len));
        UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        timeval tv{2, 0};
        setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (sendto(s.get(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) <
            0)
            return errnoError("sendto");
        dns::Bytes b(65536);
        ssize_t n = recv(s.get(), b.data(), b.size(), 0);
        if (n < 0) return errnoError("recv");
        b.resize(static_cast<size_t>(n));
        return b;
    });
}

class DnsE2E : public ::testing::Test {
  protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root (netns)";
        for (auto* slot : {&daemon_, &box1_, &box2_}) {
            auto n = Netns::create();
            ASSERT_TRUE(n.ok()) << n.error().str();
            slot->emplace(std::move(*n));
            ASSERT_EQ((*slot)->sh("ip link set lo up"), 0);
        }
        ASSERT_EQ(daemon_->sh("ip addr add 127.0.0.2/8 dev lo 2>/dev/null; true"), 0);
        up1_.emplace(daemon_->fd(), "127.0.0.1", 5300,
                     std::map<std::string, std::string>{{"external.example", "192.0.2.99"}},
                     std::set<std::string>{"slow.example"});
        up2_.emplace(daemon_->fd(), "127.0.0.2", 5300,
                     std::map<std::string, std::string>{{"slow.example", "192.0.2.100"},
                                                        {"other.example", "192.0.2.101"}});
        ASSERT_TRUE(up1_->ok() && up2_->ok());
        // The server starts in the daemon netns, so its thread (and its forwarding) lives there.
        auto s = inNetns(daemon_->fd(), [] {
            return DnsServer::start({{"127.0.0.1:5300", "127.0.0.2:5300"}, "127.0.0.11", 53, 300});
        });
        ASSERT_TRUE(s.ok()) << s.error().str();
        server_ = std::move(*s);
    }
    void TearDown() override { server_.reset(); }

    static DnsSandbox names(std::map<std::string, DnsAnswer> m,
                            std::vector<std::string> upstreams = {}) {
        auto shared = std::make_shared<std::map<std::string, DnsAnswer>>(std::move(m));
        DnsSandbox sb;
        sb.resolve = [shared](const std::string& n) {
            auto it = shared->find(n);
            return it == shared->end() ? DnsAnswer{} : it->second;
        };
        sb.reverse = [shared](const std::string& ip) -> std::string {
            for (auto& [name, a] : *shared)
                for (auto& v : a.ipv4)
                    if (v == ip) return name;
            return "";
        };
        sb.upstreams = std::move(upstreams);
        return sb;
    }

    std::optional<Netns> daemon_, box1_, box2_;
    std::optional<FakeUpstream> up1_, up2_;
    std::unique_ptr<DnsServer> server_;
};

const DnsAnswer kWeb{true, {"10.1.0.2", "10.1.0.3", "10.1.0.4"}, {"fd00:1::2"}};

TEST_F(DnsE2E, NamesRotateAndFamiliesAreSeparate) {
    ASSERT_TRUE(server_
                    ->addSandbox("c1", box1_->path(),
                                 names({{"web", kWeb}, {"db", {true, {"10.1.0.9"}, {}}}}))
                    .ok());
    std::set<std::string> firsts;
    for (int i = 0; i < 3; i++) {
        auto r = ask(box1_->fd(), "web", T_A);
        ASSERT_TRUE(r.ok()) << r.error().str();
        EXPECT_EQ(r->rcode, 0);
        EXPECT_TRUE(r->aa);
        ASSERT_EQ(r->addrs.size(), 3u);
        EXPECT_EQ(std::set<std::string>(r->addrs.begin(), r->addrs.end()),
                  (std::set<std::string>{"10.1.0.2", "10.1.0.3", "10.1.0.4"}));
        firsts.insert(r->addrs[0]);
    }
    EXPECT_EQ(firsts.size(), 3u);  // each replica came first once
    auto six = ask(box1_->fd(), "WEB.", T_AAAA);
    ASSERT_TRUE(six.ok());
    EXPECT_EQ(six->addrs, std::vector<std::string>{"fd00:1::2"});
    int before = up1_->queries() + up2_->queries();
    auto nodata = ask(box1_->fd(), "db", T_AAAA);  // ours, but no IPv6: empty, not forwarded
    ASSERT_TRUE(nodata.ok());
    EXPECT_EQ(nodata->rcode, 0);
    EXPECT_TRUE(nodata->addrs.empty());
    auto mx = ask(box1_->fd(), "db", T_MX);
    ASSERT_TRUE(mx.ok());
    EXPECT_EQ(mx->rcode, 0);
    EXPECT_TRUE(mx->addrs.empty());
    EXPECT_EQ(up1_->queries() + up2_->queries(), before);
    auto ptr = ask(box1_->fd(), "9.0.1.10.in-addr.arpa", T_PTR);
    ASSERT_TRUE(ptr.ok());
    EXPECT_EQ(ptr->addrs, std::vector<std::string>{"db"});
}

TEST_F(DnsE2E, ForwardsOtherNamesAndFallsBack) {
    ASSERT_TRUE(server_->addSandbox("c1", box1_->path(), names({{"web", kWeb}})).ok());
    auto ext = ask(box1_->fd(), "external.example", T_A);
    ASSERT_TRUE(ext.ok()) << ext.error().str();
    EXPECT_EQ(ext->rcode, 0);
    EXPECT_EQ(ext->addrs, std::vector<std::string>{"192.0.2.99"});
    auto nx = ask(box1_->fd(), "nosuch.example", T_A);
    ASSERT_TRUE(nx.ok());
    EXPECT_EQ(nx->rcode, NXDOMAIN);
    // The first upstream stays silent: after 300 ms the second one answers.
    auto slow = ask(box1_->fd(), "slow.example", T_A);
    ASSERT_TRUE(slow.ok()) << slow.error().str();
    EXPECT_EQ(slow->addrs, std::vector<std::string>{"192.0.2.100"});
    // Over TCP too, forwarded over TCP.
    auto tcp = ask(box1_->fd(), "external.example", T_A, true);
    ASSERT_TRUE(tcp.ok()) << tcp.error().str();
    EXPECT_EQ(tcp->addrs, std::vector<std::string>{"192.0.2.99"});
    auto local = ask(box1_->fd(), "web", T_A, true);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(local->addrs.size(), 3u);
}

TEST_F(DnsE2E, SandboxUpstreamsAndNoUpstreams) {
    // --dns of the container: only the second upstream.
    ASSERT_TRUE(server_->addSandbox("c1", box1_->path(), names({}, {"127.0.0.2:5300"})).ok());
    auto r = ask(box1_->fd(), "other.example", T_A);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->addrs, std::vector<std::string>{"192.0.2.101"});
    EXPECT_EQ(up1_->queries(), 0);
    // Only on internal networks: nothing forwarded, SERVFAIL at once; own names still answer.
    DnsSandbox internal = names({{"db", {true, {"10.3.0.2"}, {}}}});
    internal.forward = false;
    ASSERT_TRUE(server_->addSandbox("c3", box2_->path(), internal).ok());
    int before = up1_->queries() + up2_->queries();
    auto in = rawAsk(box2_->fd(), makeQuery(78, "external.example", dns::A));
    ASSERT_TRUE(in.ok()) << in.error().str();
    EXPECT_EQ(at16(*in, 2) & 0xF, dns::ServFail);
    EXPECT_EQ(up1_->queries() + up2_->queries(), before);
    EXPECT_EQ(ask(box2_->fd(), "db", T_A)->addrs, std::vector<std::string>{"10.3.0.2"});
    server_->removeSandbox("c3");
    // No upstream at all: SERVFAIL at once.
    ASSERT_TRUE(server_->setUpstreams({}).ok());
    ASSERT_TRUE(server_->addSandbox("c2", box2_->path(), names({})).ok());
    auto t0 = std::chrono::steady_clock::now();
    auto sf = rawAsk(box2_->fd(), makeQuery(77, "external.example", dns::A));
    ASSERT_TRUE(sf.ok()) << sf.error().str();
    EXPECT_EQ(at16(*sf, 0), 77);
    EXPECT_EQ(at16(*sf, 2) & 0xF, dns::ServFail);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
}

TEST_F(DnsE2E, ManyReplicasTruncateThenTcp) {
    DnsAnswer many{true, {}, {}};
    for (int i = 0; i < 100; i++)
        many.ipv4.push_back("10.2." + std::to_string(i / 200) + "." + std::to_string(i + 1));
    ASSERT_TRUE(server_->addSandbox("c1", box1_->path(), names({{"svc", many}})).ok());
    auto udp = ask(box1_->fd(), "svc", T_A, false, true);
    ASSERT_TRUE(udp.ok());
    EXPECT_TRUE(udp->tc);
    EXPECT_LT(udp->addrs.size(), 100u);
    auto full = ask(box1_->fd(), "svc", T_A);  // glibc retries over TCP on TC
    ASSERT_TRUE(full.ok());
    EXPECT_FALSE(full->tc);
    EXPECT_EQ(full->addrs.size(), 100u);
    auto edns = rawAsk(box1_->fd(), makeQuery(3, "svc", dns::A, true, 1200));  // bigger buffer
    ASSERT_TRUE(edns.ok()) << edns.error().str();
    EXPECT_LE(edns->size(), 1200u);
    EXPECT_EQ(at16(*edns, 6), (1200 - 12 - 8 - 11) / 16);  // 73 of 100 fit
    EXPECT_TRUE(at16(*edns, 2) & dns::kFlagTc);
    EXPECT_EQ(at16(*edns, 10), 1);  // OPT echoed
}

TEST_F(DnsE2E, SandboxesAreSeparateAndRemovable) {
    ASSERT_TRUE(server_->addSandbox("c1", box1_->path(), names({{"web", kWeb}})).ok());
    ASSERT_TRUE(
        server_->addSandbox("c2", box2_->path(), names({{"web", {true, {"10.9.0.2"}, {}}}})).ok());
    EXPECT_EQ(server_->sandboxCount(), 2u);
    EXPECT_EQ(ask(box2_->fd(), "web", T_A)->addrs, std::vector<std::string>{"10.9.0.2"});
    EXPECT_EQ(ask(box1_->fd(), "web", T_A)->addrs.size(), 3u);
    // Replacing a sandbox's resolver (connect to another network) rebinds in place.
    ASSERT_TRUE(
        server_->addSandbox("c1", box1_->path(), names({{"web", {true, {"10.5.0.5"}, {}}}})).ok());
    EXPECT_EQ(ask(box1_->fd(), "web", T_A)->addrs, std::vector<std::string>{"10.5.0.5"});
    server_->removeSandbox("c1");
    server_->removeSandbox("c1");
    EXPECT_EQ(server_->sandboxCount(), 1u);
    EXPECT_FALSE(ask(box1_->fd(), "web", T_A).ok());  // nobody listens there any more
    EXPECT_TRUE(ask(box2_->fd(), "web", T_A).ok());
    EXPECT_FALSE(server_->addSandbox("c3", "/nonexistent/netns", names({})).ok());
}

TEST_F(DnsE2E, BusyboxNslookup) {
    // Debian's busybox-static (a listed dependency) has the nslookup applet.
    ASSERT_TRUE(server_->addSandbox("c1", box1_->path(), names({{"web", kWeb}})).ok());
    FILE* p =
        popen(("nsenter --net=" + box1_->path() + " busybox nslookup -type=a web 127.0.0.11 2>&1")
                  .c_str(),
              "r");
    std::string out;
    char buf[256];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    for (auto ip : kWeb.ipv4) EXPECT_NE(out.find("Address: " + ip), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::net
