// The Manager in-process (needs root): every test runs on a thread in a fresh netns of its own,
// and threads it starts inherit that netns, so nothing touches the host's network.
#include "network/network.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "common/sys.h"
#include "network/netlink.h"
#include "network/netns.h"

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

class ManagerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        char d[] = "/tmp/berth-mgrtest-XXXXXX";
        ASSERT_NE(::mkdtemp(d), nullptr);
        dir_ = d;
        opts_.stateDir = dir_ + "/state";
        opts_.runDir = dir_ + "/run";
        opts_.resolvConf = dir_ + "/resolv.conf";  // absent: no upstreams
    }
    void TearDown() override {
        if (dir_.empty()) return;
        // Whatever a failed test left mounted.
        auto mounts = sys::readFile("/proc/self/mountinfo").valueOr("");
        size_t pos = 0;
        while ((pos = mounts.find(dir_, pos)) != std::string::npos) {
            size_t end = mounts.find(' ', pos);
            ::umount2(mounts.substr(pos, end - pos).c_str(), MNT_DETACH);
            pos = end;
        }
        EXPECT_TRUE(sys::removeAll(dir_).ok());
    }

    static int berthVeths() {
        auto nl = Netlink::open();
        auto links = nl ? nl->links() : Result<std::vector<LinkInfo>>(nl.error());
        if (!links) return -1;
        int n = 0;
        for (const auto& l : *links)
            if (l.name.rfind("bth", 0) == 0) n++;
        return n;
    }

    std::string dir_;
    Options opts_;
};

TEST_F(ManagerTest, ConcurrentSandboxesGetDistinctAddresses) {
    inPrivateNetns([&] {
        auto m = Manager::open(opts_).value();
        ASSERT_TRUE(m->createNetwork({.name = "par", .ipam = {{"10.33.0.0/24", "", ""}}}).ok());
        constexpr int kThreads = 6, kEach = 4;
        std::vector<std::thread> ts;
        std::mutex mu;
        std::set<std::string> ips;
        std::vector<std::string> errors;
        for (int t = 0; t < kThreads; t++)
            ts.emplace_back([&, t] {
                for (int i = 0; i < kEach; i++) {
                    SandboxSpec s;
                    s.containerId = "c" + std::to_string(t) + "-" + std::to_string(i);
                    s.containerName = s.containerId;
                    s.mode = "par";
                    s.ports.push_back({"tcp", 80, "", static_cast<uint16_t>(20000 + t * 10 + i)});
                    auto r = m->createSandbox(s);
                    std::lock_guard l(mu);
                    if (!r) errors.push_back(r.error().str());
                    else ips.insert(r->endpoints.at(0).ipv4);
                }
            });
        for (auto& t : ts) t.join();
        EXPECT_TRUE(errors.empty()) << errors[0];
        EXPECT_EQ(ips.size(), static_cast<size_t>(kThreads * kEach));
        EXPECT_EQ(berthVeths(), kThreads * kEach);
        EXPECT_EQ(m->get("par")->containers.size(), static_cast<size_t>(kThreads * kEach));

        ts.clear();
        for (int t = 0; t < kThreads; t++)
            ts.emplace_back([&, t] {
                for (int i = 0; i < kEach; i++)
                    EXPECT_TRUE(m->removeSandbox("c" + std::to_string(t) + "-" + std::to_string(i))
                                    .ok());
            });
        for (auto& t : ts) t.join();
        m->settle();
        EXPECT_EQ(berthVeths(), 0);
        EXPECT_TRUE(m->sandboxes().empty());
        EXPECT_TRUE(m->removeNetwork("par").ok());
        m->shutdown(true);
    });
}

TEST_F(ManagerTest, ReopenRestoresAndRecovers) {
    inPrivateNetns([&] {
        std::string keptIp, keptNs;
        {
            auto m = Manager::open(opts_).value();
            ASSERT_TRUE(m->createNetwork({.name = "n", .ipam = {{"10.34.0.0/24", "", ""}}}).ok());
            auto a = m->createSandbox({.containerId = "a", .containerName = "a", .mode = "n"});
            ASSERT_TRUE(a.ok()) << a.error().str();
            keptIp = a->endpoints[0].ipv4;
            keptNs = a->netnsPath;
            ASSERT_TRUE(m->createSandbox({.containerId = "b", .mode = "n"}).ok());
            ASSERT_TRUE(m->createSandbox({.containerId = "h", .mode = "host"}).ok());
            auto none = m->createSandbox({.containerId = "z", .mode = "none"});
            ASSERT_TRUE(none.ok());
            EXPECT_TRUE(none->endpoints.empty());
            // Destroyed without shutdown(): like a daemon that died.
        }
        auto m = Manager::open(opts_).value();
        auto a = m->sandbox("a").value();
        EXPECT_EQ(a.endpoints[0].ipv4, keptIp);
        EXPECT_EQ(a.netnsPath, keptNs);
        EXPECT_TRUE(isNetns(keptNs));
        EXPECT_EQ(m->sandboxes().size(), 4u);
        ASSERT_TRUE(m->recover({"a", "h"}).ok());
        m->settle();
        EXPECT_EQ(m->sandboxes().size(), 2u);
        EXPECT_EQ(berthVeths(), 1);
        EXPECT_FALSE(m->sandbox("z").ok());
        EXPECT_TRUE(m->removeSandbox("nosuch").ok());
        auto busy = m->removeNetwork("n");
        ASSERT_FALSE(busy.ok());
        EXPECT_EQ(busy.error().code, EBUSY);
        ASSERT_TRUE(m->removeSandbox("a").ok());
        ASSERT_TRUE(m->removeSandbox("h").ok());
        m->settle();
        EXPECT_FALSE(sys::exists(keptNs));
        EXPECT_TRUE(m->removeNetwork("n").ok());
        auto pruned = m->prune().value();
        EXPECT_TRUE(pruned.empty());
        m->shutdown(true);
    });
}

}  // namespace
}  // namespace berth::net
