#include "engine/security.h"

#include <gtest/gtest.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "runtime/spec.h"

namespace berth::engine {
namespace {

using Json = nlohmann::json;

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- capabilities -------------------------------------------------------------------------

TEST(Capabilities, DefaultsAreDockers) {
    const auto& d = defaultCapabilities();
    EXPECT_EQ(d.size(), 14u);
    for (const char* c : {"CAP_CHOWN", "CAP_NET_RAW", "CAP_AUDIT_WRITE", "CAP_SETFCAP"})
        EXPECT_TRUE(has(d, c)) << c;
    EXPECT_FALSE(has(d, "CAP_SYS_ADMIN"));
    auto r = capabilities({}, {}, false);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, d);
}

TEST(Capabilities, PrivilegedGetsEveryCapWeHold) {
    auto r = capabilities({"foo"}, {"ALL"}, true);  // docker ignores add/drop when privileged
    ASSERT_TRUE(r) << r.error().str();
    // Every kernel capability in our own bounding set, and nothing outside it (this machine's
    // root has no CAP_SYS_RESOURCE: handing it out would fail every privileged start).
    for (const auto& c : allCapabilities()) {
        cap_value_t v;
        ASSERT_EQ(cap_from_name(c.c_str(), &v), 0) << c;
        EXPECT_EQ(has(*r, c), ::prctl(PR_CAPBSET_READ, v, 0, 0, 0) == 1) << c;
    }
    EXPECT_TRUE(has(*r, "CAP_SYS_ADMIN"));
    EXPECT_GE(r->size(), 30u);
}

TEST(Capabilities, AddAndDropAnySpelling) {
    auto r = capabilities({"sys_admin", "Cap_Net_Admin"}, {"CAP_CHOWN", "net_raw"}, false);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_TRUE(has(*r, "CAP_SYS_ADMIN"));
    EXPECT_TRUE(has(*r, "CAP_NET_ADMIN"));
    EXPECT_FALSE(has(*r, "CAP_CHOWN"));
    EXPECT_FALSE(has(*r, "CAP_NET_RAW"));
    EXPECT_EQ(r->size(), 14u);
}

TEST(Capabilities, DropAllThenAdd) {
    auto r = capabilities({"NET_BIND_SERVICE"}, {"all"}, false);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
    r = capabilities({}, {"ALL"}, false);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->empty());
}

TEST(Capabilities, AddAllMinusDrops) {
    auto r = capabilities({"ALL"}, {"CAP_SYS_ADMIN"}, false);
    ASSERT_TRUE(r) << r.error().str();
    auto all = capabilities({}, {}, true);  // every capability we hold
    ASSERT_TRUE(all);
    EXPECT_EQ(r->size(), all->size() - 1);
    EXPECT_FALSE(has(*r, "CAP_SYS_ADMIN"));
}

TEST(Capabilities, AddingADefaultDoesNotDuplicate) {
    auto r = capabilities({"CHOWN"}, {}, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(std::count(r->begin(), r->end(), "CAP_CHOWN"), 1);
}

TEST(Capabilities, UnknownNameIsInvalid) {
    auto r = capabilities({"foo"}, {}, false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_EQ(r.error().msg, "unknown capability: \"CAP_FOO\"");
    r = capabilities({}, {"CAP_BOGUS"}, false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "unknown capability: \"CAP_BOGUS\"");
}

// ---- --security-opt -----------------------------------------------------------------------

TEST(SecurityOpts, Parses) {
    SecurityOpts o;
    ASSERT_TRUE(
        parseSecurityOpts({"no-new-privileges", "apparmor=unconfined", "label=disable",
                           "seccomp=unconfined", "systempaths=unconfined", "writable-cgroups=true"},
                          o));
    EXPECT_EQ(o.noNewPrivileges, true);
    EXPECT_EQ(o.apparmor, "unconfined");
    EXPECT_EQ(o.labels, std::vector<std::string>{"disable"});
    EXPECT_EQ(o.seccomp, "unconfined");
    EXPECT_TRUE(o.systemPathsUnconfined);
    EXPECT_EQ(o.writableCgroups, true);
    EXPECT_TRUE(o.warnings.empty());  // less confinement than none: nothing to warn about
    SecurityOpts lsm;
    ASSERT_TRUE(parseSecurityOpts({"apparmor=docker-default", "label=type:svirt_t"}, lsm));
    EXPECT_EQ(lsm.warnings.size(), 2u);  // profiles and labels have no effect here

    SecurityOpts n;
    ASSERT_TRUE(parseSecurityOpts({"no-new-privileges=false"}, n));
    EXPECT_EQ(n.noNewPrivileges, false);
    SecurityOpts c;
    ASSERT_TRUE(parseSecurityOpts({"no-new-privileges:true"}, c));  // deprecated separator
    EXPECT_EQ(c.noNewPrivileges, true);
    EXPECT_EQ(c.warnings.size(), 1u);
    SecurityOpts none;
    ASSERT_TRUE(parseSecurityOpts({}, none));
    EXPECT_FALSE(none.noNewPrivileges.has_value());
}

TEST(SecurityOpts, SeccompValueKeepsEqualsAndColons) {
    SecurityOpts o;
    std::string profile = R"({"defaultAction":"SCMP_ACT_ALLOW","x":"a=b:c"})";
    ASSERT_TRUE(parseSecurityOpts({"seccomp=" + profile}, o));
    EXPECT_EQ(o.seccomp, profile);
}

TEST(SecurityOpts, RejectsLikeDocker) {
    struct Case {
        const char* opt;
        const char* msg;
    };
    for (const Case& c :
         {Case{"unknown", "invalid --security-opt 1: \"unknown\""},
          Case{"label", "invalid --security-opt 1: \"label\""},
          Case{"foo=bar", "invalid --security-opt 2: \"foo=bar\""},
          Case{"no-new-privileges=maybe", "invalid --security-opt 2: \"no-new-privileges=maybe\""},
          Case{"systempaths=confined", "invalid --security-opt 2: \"systempaths=confined\""}}) {
        SecurityOpts o;
        auto st = parseSecurityOpts({c.opt}, o);
        ASSERT_FALSE(st) << c.opt;
        EXPECT_EQ(st.error().code, EINVAL);
        EXPECT_EQ(st.error().msg, c.msg);
    }
}

// ---- devices ------------------------------------------------------------------------------

TEST(Devices, SingleNode) {
    auto r = deviceMapping("/dev/null", "/dev/mynull", "rw");
    ASSERT_TRUE(r) << r.error().str();
    const Json& j = *r;
    ASSERT_EQ(j["devices"].size(), 1u);
    EXPECT_EQ(j["devices"][0]["path"], "/dev/mynull");
    EXPECT_EQ(j["devices"][0]["type"], "c");
    EXPECT_EQ(j["devices"][0]["major"], 1);
    EXPECT_EQ(j["devices"][0]["minor"], 3);
    EXPECT_EQ(j["devices"][0]["fileMode"], 0666);
    EXPECT_EQ(j["rules"][0], Json::parse(R"({"allow":true,"type":"c","major":1,"minor":3,
                                             "access":"rw"})"));
    auto same = deviceMapping("/dev/zero", "", "");
    ASSERT_TRUE(same);
    EXPECT_EQ((*same)["devices"][0]["path"], "/dev/zero");
    EXPECT_EQ((*same)["rules"][0]["access"], "rwm");
}

TEST(Devices, RuntimeParsesTheResult) {
    auto r = deviceMapping("/dev/null", "/dev/n", "rw");
    ASSERT_TRUE(r) << r.error().str();
    Json s = Json::parse(spec::defaultSpecJson(false));
    for (const auto& d : (*r)["devices"]) s["linux"]["devices"].push_back(d);
    for (const auto& d : (*r)["rules"]) s["linux"]["resources"]["devices"].push_back(d);
    auto parsed = spec::parseSpec(s.dump());
    ASSERT_TRUE(parsed) << parsed.error().str();
    ASSERT_TRUE(parsed->linux);
    const auto& devs = parsed->linux->devices;
    ASSERT_FALSE(devs.empty());
    EXPECT_EQ(devs.back().path, "/dev/n");
    EXPECT_EQ(devs.back().major, 1);
    EXPECT_EQ(devs.back().minor, 3);
}

TEST(Devices, SymlinkIsFollowed) {
    auto dir = std::filesystem::temp_directory_path() / ("berth-dev-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::filesystem::create_directory_symlink("/dev/null", dir / "link");
    auto r = deviceMapping((dir / "link").string(), "/dev/x", "r");
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ((*r)["devices"][0]["path"], "/dev/x");
    EXPECT_EQ((*r)["devices"][0]["minor"], 3);
}

TEST(Devices, DirectoryMapsEveryNodeBelow) {
    auto dir = std::filesystem::temp_directory_path() / ("berth-devd-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir / "sub");
    ASSERT_EQ(::mkfifo((dir / "sub" / "fifo").c_str(), 0640), 0);
    std::filesystem::create_symlink("/dev/null", dir / "notfollowed");
    { std::ofstream((dir / "regular").string()) << "x"; }
    bool root = geteuid() == 0;
    if (root) {
        ASSERT_EQ(::mknod((dir / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);
    }
    auto r = deviceMapping(dir.string(), "/dev/things", "rwm");
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(r) << r.error().str();
    const Json& d = (*r)["devices"];
    ASSERT_EQ(d.size(), root ? 2u : 1u) << d.dump();
    if (root) {
        EXPECT_EQ(d[0]["path"], "/dev/things/null");
        EXPECT_EQ(d[0]["type"], "c");
    }
    EXPECT_EQ(d[root ? 1 : 0]["path"], "/dev/things/sub/fifo");
    EXPECT_EQ(d[root ? 1 : 0]["type"], "p");
    EXPECT_EQ(d[root ? 1 : 0]["fileMode"], 0640);
    EXPECT_EQ((*r)["rules"].size(), d.size());
}

TEST(Devices, Errors) {
    auto r = deviceMapping("/dev/does-not-exist", "", "rwm");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().msg.find("error gathering device information while adding custom "
                                 "device \"/dev/does-not-exist\""),
              std::string::npos)
        << r.error().msg;
    EXPECT_FALSE(deviceMapping("/etc/passwd", "", "rwm"));
    for (const char* bad : {"rwx", "rr", "rwmr", "a"}) {
        auto b = deviceMapping("/dev/null", "", bad);
        ASSERT_FALSE(b) << bad;
        EXPECT_EQ(b.error().msg, std::string("invalid device mode: ") + bad);
    }
}

}  // namespace
}  // namespace berth::engine
