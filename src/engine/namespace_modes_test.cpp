#include "engine/namespace_modes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

TEST(NamespaceModes, ValidValues) {
    for (const char* k : {"PidMode", "IpcMode", "UTSMode"})
        for (const char* v : {"", "host", "container:abc"})
            EXPECT_TRUE(validateNamespaceModes(Json{{k, v}})) << k << "=" << v;
    for (const char* v : {"private", "shareable", "none"})
        EXPECT_TRUE(validateNamespaceModes(Json{{"IpcMode", v}})) << v;
    EXPECT_TRUE(validateNamespaceModes(Json::object()));
    EXPECT_TRUE(validateNamespaceModes(Json{{"PidMode", nullptr}}));
}

TEST(NamespaceModes, InvalidValuesAreDockersErrors) {
    struct Case {
        const char *key, *value, *msg;
    } cases[] = {
        {"PidMode", "bogus", "invalid PID mode: bogus"},
        {"PidMode", "container:", "invalid PID mode: container:"},
        {"PidMode", "private", "invalid PID mode: private"},
        {"IpcMode", "bogus", "invalid IPC mode: bogus"},
        {"IpcMode", "container:", "invalid IPC mode: container:"},
        {"UTSMode", "shareable", "invalid UTS mode: shareable"},
    };
    for (const auto& c : cases) {
        auto st = validateNamespaceModes(Json{{c.key, c.value}});
        ASSERT_FALSE(st) << c.key << "=" << c.value;
        EXPECT_EQ(st.error().code, EINVAL);
        EXPECT_EQ(st.error().msg, c.msg);
    }
    EXPECT_FALSE(validateNamespaceModes(Json{{"PidMode", 3}}));
}

Json entries(const Json& hc, const std::map<std::string, int>& pids = {}) {
    Json ns = Json::array();
    auto st = appendNamespaceEntries(hc, pids, ns);
    EXPECT_TRUE(st) << st.error().str();
    return ns;
}

TEST(NamespaceModes, Entries) {
    EXPECT_EQ(entries(Json::object()),
              Json::parse(R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"}])"));
    EXPECT_EQ(entries({{"IpcMode", "shareable"}}), entries(Json::object()));
    EXPECT_EQ(entries({{"IpcMode", "none"}}), entries(Json::object()));
    EXPECT_EQ(entries({{"PidMode", "host"}, {"IpcMode", "host"}, {"UTSMode", "host"}}),
              Json::array());
    EXPECT_EQ(entries({{"PidMode", "host"}}), Json::parse(R"([{"type":"ipc"},{"type":"uts"}])"));
    EXPECT_EQ(
        entries(
            {{"PidMode", "container:x"}, {"IpcMode", "container:y"}, {"UTSMode", "container:x"}},
            {{"pid", 42}, {"ipc", 43}, {"uts", 42}}),
        Json::parse(R"([{"type":"pid","path":"/proc/42/ns/pid"},
                              {"type":"ipc","path":"/proc/43/ns/ipc"},
                              {"type":"uts","path":"/proc/42/ns/uts"}])"));
}

TEST(NamespaceModes, AnUnresolvedContainerIsAnErrorNotAPrivateNamespace) {
    Json ns = Json::array();
    auto st = appendNamespaceEntries({{"PidMode", "container:x"}}, {}, ns);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("cannot join PID of container x"), std::string::npos);
}

TEST(NamespaceModes, OwnsUts) {
    EXPECT_TRUE(ownsUtsNamespace(Json::object()));
    EXPECT_TRUE(ownsUtsNamespace({{"UTSMode", ""}}));
    EXPECT_FALSE(ownsUtsNamespace({{"UTSMode", "host"}}));
    EXPECT_FALSE(ownsUtsNamespace({{"UTSMode", "container:x"}}));
}

// ---- in the OCI config (oci_spec.cpp) ------------------------------------------------------

struct Rootfs {
    fs::path dir;
    Rootfs() {
        static int n = 0;
        dir = fs::temp_directory_path() /
              ("berth-nsmodes-" + std::to_string(getpid()) + "-" + std::to_string(n++));
        fs::create_directories(dir / "etc");
        std::ofstream(dir / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
        std::ofstream(dir / "etc/group") << "root:x:0:\nnogroup:x:65534:\n";
    }
    ~Rootfs() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

Json spec(const Json& hostConfig, const std::map<std::string, int>& pids = {},
          const std::string& user = "") {
    Rootfs r;
    Container c;
    c.id = "c1";
    c.path = "sh";
    c.config = {{"Hostname", "abc123"}, {"Domainname", "example.org"}, {"User", user}};
    c.hostConfig = hostConfig;
    SpecInputs in;
    in.rootfs = r.dir.string();
    in.cgroupsPath = "/berth/c1";
    in.joinPids = pids;
    auto s = ociSpec(c, in);
    EXPECT_TRUE(s) << s.error().str();
    return s ? Json::parse(*s) : Json();
}

Json nsTypes(const Json& s) {
    Json out = Json::array();
    for (const auto& n : s["linux"]["namespaces"]) out.push_back(n["type"]);
    return out;
}

Json shmMount(const Json& s) {
    for (const auto& m : s["mounts"])
        if (m["destination"] == "/dev/shm") return m;
    return Json();
}

TEST(OciSpecNamespaces, Defaults) {
    Json s = spec(Json::object());
    // No netns path given: no network entry.
    EXPECT_EQ(nsTypes(s), Json::parse(R"(["pid","ipc","uts","mount"])")) << s.dump();
    EXPECT_EQ(shmMount(s)["type"], "tmpfs");
}

TEST(OciSpecNamespaces, HostModes) {
    Json s = spec({{"PidMode", "host"}, {"IpcMode", "host"}, {"UTSMode", "host"}});
    EXPECT_EQ(nsTypes(s), Json::parse(R"(["mount"])"));
    EXPECT_FALSE(s.contains("hostname")) << s.dump();
    EXPECT_FALSE(s.contains("domainname"));
    EXPECT_EQ(shmMount(s)["source"], "/dev/shm");
    EXPECT_EQ(shmMount(s)["type"], "bind");
    // The environment still says the configured name, as docker's.
    bool env = false;
    for (const auto& e : s["process"]["env"]) env |= e == "HOSTNAME=abc123";
    EXPECT_TRUE(env);
}

TEST(OciSpecNamespaces, ContainerModes) {
    Json s =
        spec({{"PidMode", "container:x"}, {"IpcMode", "container:x"}, {"UTSMode", "container:x"}},
             {{"pid", 7}, {"ipc", 7}, {"uts", 7}});
    Json ns = s["linux"]["namespaces"];
    ASSERT_EQ(ns.size(), 4u) << ns.dump();
    EXPECT_EQ(ns[0], Json::parse(R"({"type":"pid","path":"/proc/7/ns/pid"})"));
    EXPECT_EQ(ns[1], Json::parse(R"({"type":"ipc","path":"/proc/7/ns/ipc"})"));
    EXPECT_EQ(ns[2], Json::parse(R"({"type":"uts","path":"/proc/7/ns/uts"})"));
    EXPECT_FALSE(s.contains("hostname"));
    EXPECT_EQ(shmMount(s)["type"], "tmpfs");
}

TEST(OciSpecNamespaces, PrivateKeepsTheHostnameAndShm) {
    Json s = spec({{"IpcMode", "shareable"}});
    EXPECT_EQ(s["hostname"], "abc123");
    EXPECT_EQ(s["domainname"], "example.org");
    EXPECT_EQ(shmMount(s)["type"], "tmpfs");
    EXPECT_TRUE(spec({{"IpcMode", "none"}})["mounts"].is_array());
    EXPECT_TRUE(shmMount(spec({{"IpcMode", "none"}})).is_null());
}

TEST(OciSpecUser, SupplementaryGroups) {
    Json s = spec(Json::object());
    EXPECT_EQ(s["process"]["user"]["additionalGids"], Json::parse("[0]"));
    s = spec({{"GroupAdd", {"nogroup"}}}, {}, "1000:1000");
    EXPECT_EQ(s["process"]["user"]["gid"], 1000);
    EXPECT_EQ(s["process"]["user"]["additionalGids"], Json::parse("[1000,65534]"));
}

}  // namespace
}  // namespace berth::engine
