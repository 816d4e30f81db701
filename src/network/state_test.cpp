#include "network/state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/sys.h"
#include "network/port_spec.h"

namespace berth::net {
namespace {

SandboxRecord sample() {
    SandboxRecord r;
    r.spec.containerId = "abc123";
    r.spec.containerName = "web";
    r.spec.ports.push_back({"udp", 53, "", 0, 0});
    r.kind = "bridge";
    r.netnsPath = "/run/berth/netns/0123";
    EndpointRecord ep;
    ep.hostIf = "bth0011223344";
    ep.info.networkId = "n1";
    ep.info.ipv4 = "10.0.0.2";
    ep.info.prefixLen = 24;
    ep.info.dnsNames = {"web", "abc123"};
    r.endpoints.push_back(ep);
    r.ports.push_back({"udp", 53, "", 32768, 0});
    return r;
}

TEST(State, SandboxRoundTrip) {
    auto r = sample();
    auto back = decodeSandbox(encodeSandbox(r)).value();
    EXPECT_EQ(encodeSandbox(back), encodeSandbox(r));
    EXPECT_EQ(back.endpoints[0].hostIf, "bth0011223344");
    EXPECT_EQ(back.ports[0].hostPort, 32768);
    EXPECT_FALSE(decodeSandbox("{").ok());
    EXPECT_FALSE(decodeSandbox("{}").ok());  // no container id
    // Old records without newer fields still load.
    EXPECT_TRUE(decodeSandbox(R"({"spec":{"containerId":"x"}})").ok());
}

TEST(State, NetworkRoundTripDropsContainers) {
    NetworkRecord n;
    n.info.id = "0123abcd";
    n.info.name = "app";
    n.info.ipam = {{"10.0.0.0/24", "", "10.0.0.1"}};
    n.info.options = {{"k", "v"}};
    n.info.containers["x"] = EndpointInfo{};
    auto back = decodeNetwork(encodeNetwork(n)).value();
    EXPECT_EQ(back.info.name, "app");
    EXPECT_EQ(back.info.ipam[0].gateway, "10.0.0.1");
    EXPECT_EQ(back.info.options.at("k"), "v");
    EXPECT_TRUE(back.info.containers.empty());
}

TEST(State, StoreFiles) {
    char dir[] = "/tmp/berth-state-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    StateStore st(dir);
    ASSERT_TRUE(st.init().ok());
    ASSERT_TRUE(st.saveSandbox(sample()).ok());
    ASSERT_TRUE(sys::mkdirAll(std::string(dir) + "/sandboxes/junk", 0700).ok());
    ASSERT_TRUE(sys::writeFile(std::string(dir) + "/sandboxes/junk/sandbox.json", "nope",
                               O_WRONLY | O_CREAT, 0600)
                    .ok());
    std::vector<std::string> bad;  // the unreadable record is reported, not fatal
    auto loaded = st.loadSandboxes(bad);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].spec.containerId, "abc123");
    EXPECT_EQ(bad.size(), 1u);
    ASSERT_TRUE(st.removeSandbox("abc123").ok());
    EXPECT_FALSE(sys::exists(st.sandboxDir("abc123")));
    EXPECT_TRUE(st.removeSandbox("abc123").ok());  // idempotent
    EXPECT_EQ(st.readUla().error().code, ENOENT);
    ASSERT_TRUE(st.writeUla("fd00:1:2::/48").ok());
    EXPECT_EQ(st.readUla().value(), "fd00:1:2::/48");
    EXPECT_TRUE(sys::removeAll(dir).ok());
}

TEST(State, ValidId) {
    EXPECT_TRUE(validId("abc"));
    EXPECT_TRUE(validId("a.b-c_d"));
    EXPECT_FALSE(validId(""));
    EXPECT_FALSE(validId(".hidden"));
    EXPECT_FALSE(validId("a/b"));
    EXPECT_FALSE(validId(std::string(129, 'a')));
}

TEST(PortSpec, Forms) {
    auto one = parsePortSpec("80").value();
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].containerPort, 80);
    EXPECT_EQ(one[0].hostPort, 0);
    auto udp = parsePortSpec("8080:80/udp").value();
    EXPECT_EQ(udp[0].proto, "udp");
    EXPECT_EQ(udp[0].hostPort, 8080);
    auto ip = parsePortSpec("127.0.0.1::80").value();
    EXPECT_EQ(ip[0].hostIp, "127.0.0.1");
    EXPECT_EQ(ip[0].hostPort, 0);
    auto v6 = parsePortSpec("[::1]:8080:80").value();
    EXPECT_EQ(v6[0].hostIp, "::1");
    EXPECT_EQ(v6[0].hostPort, 8080);
    auto range = parsePortSpec("8000-8010:80").value();
    ASSERT_EQ(range.size(), 1u);
    EXPECT_EQ(range[0].hostPort, 8000);
    EXPECT_EQ(range[0].hostPortEnd, 8010);
    auto many = parsePortSpec("8000-8002:80-82").value();
    ASSERT_EQ(many.size(), 3u);
    EXPECT_EQ(many[2].hostPort, 8002);
    EXPECT_EQ(many[2].containerPort, 82);
    EXPECT_EQ(parsePortSpec("80-82").value().size(), 3u);
    EXPECT_FALSE(parsePortSpec("0").ok());
    EXPECT_FALSE(parsePortSpec("70000").ok());
    EXPECT_FALSE(parsePortSpec("80/icmp").ok());
    EXPECT_FALSE(parsePortSpec("8000-8001:80-82").ok());
    EXPECT_FALSE(parsePortSpec("90-80").ok());
}

}  // namespace
}  // namespace berth::net
