// Needs root: runs each body on a thread in a fresh netns of its own, so nothing touches the
// host's network.
#include "network/netlink.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "common/sys.h"
#include "network/netns.h"
#include "network/netns_pool.h"

namespace berth::net {
namespace {

template <typename F>
void inPrivateNetns(F f) {
    std::thread t([&] {
        ASSERT_EQ(::unshare(CLONE_NEWNET), 0);
        f();
    });
    t.join();
}

class NetlinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        char d[] = "/tmp/berth-nltest-XXXXXX";
        ASSERT_NE(::mkdtemp(d), nullptr);
        dir_ = d;
    }
    void TearDown() override {
        if (!dir_.empty()) {
            EXPECT_TRUE(sys::removeAll(dir_).ok());
        }
    }
    std::string dir_;
};

int entries(const std::string& dir) {
    int n = 0;
    DIR* d = ::opendir(dir.c_str());
    while (auto* e = d ? ::readdir(d) : nullptr)
        if (e->d_name[0] != '.') n++;
    if (d) ::closedir(d);
    return n;
}

const LinkInfo* find(const std::vector<LinkInfo>& v, const std::string& name) {
    auto it = std::find_if(v.begin(), v.end(), [&](const LinkInfo& l) { return l.name == name; });
    return it == v.end() ? nullptr : &*it;
}

TEST_F(NetlinkTest, BridgeVethAddressesRoutes) {
    inPrivateNetns([&] {
        auto nl = Netlink::open().value();
        ASSERT_TRUE(nl.createBridge("tbr0", 1450, randomMac()).ok());
        auto dup = nl.createBridge("tbr0", 1450, randomMac());
        ASSERT_FALSE(dup.ok());
        EXPECT_EQ(dup.error().code, EEXIST);
        int br = nl.linkIndex("tbr0").value();
        ASSERT_TRUE(nl.addAddress(br, Prefix::parse("10.5.0.1/24").value()).ok());
        ASSERT_TRUE(nl.addAddress(br, Prefix::parse("10.5.0.1/24").value()).ok());  // replace
        ASSERT_TRUE(nl.addAddress(br, Prefix::parse("fd00:5::1/64").value()).ok());
        auto addrs = nl.addresses(br).value();
        EXPECT_NE(std::find(addrs.begin(), addrs.end(), Prefix::parse("10.5.0.1/24").value()),
                  addrs.end());

        std::string nsPath = dir_ + "/ns";
        auto nsFd = createNetns(nsPath).value();
        EXPECT_TRUE(isNetns(nsPath));
        VethSpec v;
        v.hostName = "bthtest0";
        v.peerName = "eth0";
        v.peerNsFd = nsFd.get();
        v.master = br;
        v.mtu = 1450;
        v.peerMac = parseMac("02:42:0a:05:00:02").value();
        ASSERT_TRUE(nl.createVeth(v).ok());
        auto links = nl.links().value();
        const LinkInfo* host = find(links, "bthtest0");
        ASSERT_NE(host, nullptr);
        EXPECT_EQ(host->kind, "veth");
        EXPECT_EQ(host->master, br);
        EXPECT_TRUE(host->up);
        EXPECT_EQ(find(links, "tbr0")->kind, "bridge");
        EXPECT_EQ(find(links, "eth0"), nullptr);  // it went to the other netns
        EXPECT_TRUE(nl.setBridgePort(host->index, true, true).ok());

        auto inside = Netlink::openIn(nsFd.get()).value();
        int eth0 = inside.linkIndex("eth0").value();
        ASSERT_TRUE(inside.setUp(eth0).ok());
        ASSERT_TRUE(inside.addAddress(eth0, Prefix::parse("10.5.0.2/24").value()).ok());
        ASSERT_TRUE(inside.replaceDefaultRoute(eth0, IpAddr::parse("10.5.0.1").value()).ok());
        ASSERT_TRUE(inside.replaceDefaultRoute(eth0, IpAddr::parse("10.5.0.1").value()).ok());
        auto bad = inside.replaceDefaultRoute(eth0, IpAddr::parse("10.9.9.9").value());
        EXPECT_FALSE(bad.ok());  // not on-link
        auto insideLinks = inside.links().value();
        EXPECT_NE(find(insideLinks, "eth0"), nullptr);
        EXPECT_EQ(find(insideLinks, "bthtest0"), nullptr);

        auto none = nl.linkIndex("nosuch");
        ASSERT_FALSE(none.ok());
        EXPECT_EQ(none.error().code, ENODEV);
        EXPECT_EQ(nl.deleteLink("nosuch").error().code, ENODEV);
        ASSERT_TRUE(nl.deleteLink("bthtest0").ok());
        EXPECT_EQ(inside.linkIndex("eth0").error().code, ENODEV);  // the pair died together
        ASSERT_TRUE(removeNetns(nsPath).ok());
        EXPECT_FALSE(sys::exists(nsPath));
        EXPECT_TRUE(removeNetns(nsPath).ok());
    });
}

TEST_F(NetlinkTest, CreateNetnsFailsCleanly) {
    std::string p = dir_ + "/exists";
    ASSERT_TRUE(sys::writeFile(p, "", O_WRONLY | O_CREAT, 0644).ok());
    auto r = createNetns(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EEXIST);
    EXPECT_FALSE(isNetns(p));
    EXPECT_EQ(openNetns(p).error().code, EINVAL);
    auto missing = createNetns(dir_ + "/no/such/dir/ns");
    EXPECT_FALSE(missing.ok());
}

TEST_F(NetlinkTest, PoolPreparesAndRunsJobs) {
    inPrivateNetns([&] {
        std::string made;
        {
            NetnsPool pool(dir_, 2);
            auto r = pool.take().value();
            EXPECT_TRUE(isNetns(r.path));
            EXPECT_TRUE(r.inside.valid());
            made = r.path;
            int ran = 0;
            for (int i = 0; i < 5; i++) pool.post([&] { ran++; });
            pool.settle();
            EXPECT_EQ(ran, 5);
            ASSERT_TRUE(removeNetns(made).ok());
        }
        // The pool removed what it had prepared.
        EXPECT_EQ(entries(dir_), 0);
    });
}

}  // namespace
}  // namespace berth::net
