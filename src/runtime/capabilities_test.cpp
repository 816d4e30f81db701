#include "runtime/capabilities.h"

#include <gtest/gtest.h>

#include "runtime/testing/in_child.h"
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <sstream>

#include "common/log.h"
#include "common/sys.h"
#include "runtime/process_attrs.h"

namespace berth {
namespace {

using test::Child;
using test::inChild;

// "CapBnd" -> "0000000000000421" from /proc/self/status.
std::map<std::string, std::string> capLines() {
    std::map<std::string, std::string> out;
    auto s = sys::readFile("/proc/self/status");
    if (!s) return out;
    std::istringstream in(*s);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Cap", 0) != 0) continue;
        auto colon = line.find(':');
        out[line.substr(0, colon)] = line.substr(line.find_first_not_of(" \t", colon + 1));
    }
    return out;
}

std::string checkMasks(const std::map<std::string, std::string>& want) {
    auto got = capLines();
    std::string bad;
    for (const auto& [k, v] : want)
        if (got[k] != v) bad += fmt::format("{}: want {} got {}; ", k, v, got[k]);
    return bad;
}

spec::Capabilities smallSet() {
    spec::Capabilities c;
    c.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    c.effective = {"CAP_CHOWN", "CAP_KILL"};
    c.permitted = {"CAP_CHOWN", "CAP_KILL"};
    c.inheritable = {"CAP_KILL"};
    c.ambient = {"CAP_KILL"};
    return c;
}

// CAP_CHOWN = bit 0, CAP_KILL = bit 5, CAP_NET_BIND_SERVICE = bit 10.
const std::map<std::string, std::string> kSmallMasks = {
    {"CapBnd", "0000000000000421"}, {"CapEff", "0000000000000021"}, {"CapPrm", "0000000000000021"},
    {"CapInh", "0000000000000020"}, {"CapAmb", "0000000000000020"},
};

TEST(Capabilities, ApplyAsRoot) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    spec::Capabilities c = smallSet();
    ASSERT_TRUE(caps::validate(c));
    Child r = inChild([&]() -> std::string {
        if (auto st = caps::applyBounding(c); !st) return st.error().str();
        if (auto st = caps::applyFinal(c); !st) return st.error().str();
        return checkMasks(kSmallMasks);
    });
    EXPECT_TRUE(r.ok()) << r.msg;
}

TEST(Capabilities, SurviveSwitchToNonRootUser) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    spec::Capabilities c = smallSet();
    Child r = inChild([&]() -> std::string {
        if (auto st = caps::applyBounding(c); !st) return st.error().str();
        spec::User u;
        u.uid = 1000;
        u.gid = 1000;
        if (auto st = attrs::applyUser(u); !st) return st.error().str();
        if (getuid() != 1000) return "uid not switched";
        if (auto st = caps::applyFinal(c); !st) return st.error().str();
        return checkMasks(kSmallMasks);
    });
    EXPECT_TRUE(r.ok()) << r.msg;
}

TEST(Capabilities, EmptySetsDropEverything) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    spec::Capabilities c;
    Child r = inChild([&]() -> std::string {
        if (auto st = caps::applyBounding(c); !st) return st.error().str();
        if (auto st = caps::applyFinal(c); !st) return st.error().str();
        return checkMasks({{"CapBnd", "0000000000000000"},
                           {"CapEff", "0000000000000000"},
                           {"CapPrm", "0000000000000000"},
                           {"CapAmb", "0000000000000000"}});
    });
    EXPECT_TRUE(r.ok()) << r.msg;
}

// Like runc: an ambient cap missing from the inheritable set is skipped (the kernel refuses
// it), the rest of the sets still apply.
TEST(Capabilities, AmbientWithoutInheritableIsSkipped) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    spec::Capabilities c = smallSet();
    c.inheritable.clear();
    Child r = inChild([&]() -> std::string {
        if (auto st = caps::applyBounding(c); !st) return st.error().str();
        if (auto st = caps::applyFinal(c); !st) return st.error().str();
        auto status = sys::readFile("/proc/self/status");
        if (!status) return status.error().str();
        if (status->find("CapAmb:\t0000000000000000") == std::string::npos) {
            return "ambient set not empty";
        }
        if (status->find("CapEff:\t0000000000000000") != std::string::npos) {
            return "effective set was not applied";
        }
        return "";
    });
    EXPECT_TRUE(r.ok()) << r.msg;
}

TEST(Capabilities, UnknownNameIsAnError) {
    spec::Capabilities c;
    c.effective = {"CAP_CHOWN", "CAP_FLY"};
    auto st = caps::validate(c);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg, "process.capabilities.effective[1]: unknown capability \"CAP_FLY\"");
    c.effective = {"5"};  // libcap takes numbers; a config may not
    EXPECT_FALSE(caps::validate(c));
    c.effective = {"cap_chown"};
    EXPECT_FALSE(caps::validate(c));
}

TEST(Capabilities, AllKnown) {
    auto all = caps::allKnown();
    auto last = sys::readFile("/proc/sys/kernel/cap_last_cap");
    ASSERT_TRUE(last);
    ASSERT_EQ(all.size(), static_cast<size_t>(std::stoi(*last) + 1));
    EXPECT_EQ(all[0], "CAP_CHOWN");
    EXPECT_EQ(all[21], "CAP_SYS_ADMIN");
    for (const auto& n : all) {
        spec::Capabilities c;
        c.bounding = {n};
        EXPECT_TRUE(caps::validate(c)) << n;
    }
}

}  // namespace
}  // namespace berth
