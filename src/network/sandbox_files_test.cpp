#include "network/sandbox_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sys.h"

namespace berth::net {
namespace {

TEST(ExtraHosts, Forms) {
    auto h = parseExtraHosts({"db:10.0.0.2", "gw:host-gateway", "v6:2001:db8::1", "n=[::1]"},
                             "172.17.0.1")
                 .value();
    ASSERT_EQ(h.size(), 4u);
    EXPECT_EQ(h[0].ip, "10.0.0.2");
    EXPECT_EQ(h[1].ip, "172.17.0.1");
    EXPECT_EQ(h[2].ip, "2001:db8::1");
    EXPECT_EQ(h[2].names[0], "v6");
    EXPECT_EQ(h[3].ip, "::1");
    EXPECT_FALSE(parseExtraHosts({"nohost"}, "").ok());
    EXPECT_FALSE(parseExtraHosts({"a:notanip"}, "").ok());
    EXPECT_FALSE(parseExtraHosts({"a:host-gateway"}, "").ok());
    EXPECT_FALSE(parseExtraHosts({":1.2.3.4"}, "").ok());
}

TEST(Hosts, Render) {
    std::string s = renderHosts({{"10.0.0.2", {"db"}}}, {{"172.17.0.2", {"web.x", "web"}}});
    EXPECT_EQ(s.substr(0, 20), "127.0.0.1\tlocalhost\n");
    EXPECT_NE(s.find("\n10.0.0.2\tdb\n172.17.0.2\tweb.x web\n"), std::string::npos);
}

TEST(ResolvConf, ParseAndContainerView) {
    auto host = parseResolvConf(
        "# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\n"
        "domain old\nsearch a.example b.example\noptions edns0 ndots:2\n");
    EXPECT_EQ(host.nameservers, (std::vector<std::string>{"127.0.0.53", "10.0.0.1", "::1"}));
    EXPECT_EQ(host.search, (std::vector<std::string>{"a.example", "b.example"}));
    EXPECT_EQ(host.options, (std::vector<std::string>{"edns0", "ndots:2"}));

    auto plain = containerResolvConf(host, {}, {}, {}, false);
    EXPECT_EQ(plain.nameservers, std::vector<std::string>{"10.0.0.1"});
    EXPECT_EQ(plain.options, host.options);
    auto onlyLocal = containerResolvConf(parseResolvConf("nameserver 127.0.0.1\n"), {}, {}, {},
                                         false);
    EXPECT_EQ(onlyLocal.nameservers, (std::vector<std::string>{"8.8.8.8", "8.8.4.4"}));
    auto custom = containerResolvConf(host, {"9.9.9.9"}, {"x"}, {"rotate"}, false);
    EXPECT_EQ(custom.nameservers, std::vector<std::string>{"9.9.9.9"});
    EXPECT_EQ(custom.search, std::vector<std::string>{"x"});
    EXPECT_EQ(custom.options, std::vector<std::string>{"rotate"});
    auto emb = containerResolvConf(host, {"9.9.9.9"}, {}, {}, true);
    EXPECT_EQ(emb.nameservers, std::vector<std::string>{"127.0.0.11"});
    EXPECT_EQ(emb.options, (std::vector<std::string>{"ndots:0", "edns0"}));
    EXPECT_EQ(renderResolvConf(emb, "hi"),
              "# hi\nnameserver 127.0.0.11\nsearch a.example b.example\noptions ndots:0 edns0\n");
}

TEST(SandboxFile, KeepsInode) {
    char dir[] = "/tmp/berth-sbf-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    std::string p = std::string(dir) + "/hosts";
    ASSERT_TRUE(writeSandboxFile(p, "one\n").ok());
    struct stat a, b;
    ASSERT_EQ(::stat(p.c_str(), &a), 0);
    ASSERT_TRUE(writeSandboxFile(p, "two\n").ok());
    ASSERT_EQ(::stat(p.c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(sys::readFile(p).value(), "two\n");
    EXPECT_TRUE(sys::removeAll(dir).ok());
}

}  // namespace
}  // namespace berth::net
