#include "engine/stats.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "runtime/cgroups/cgroup.h"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kId = "abc123";
constexpr uint64_t kMemTotal = 2048000ULL * 1024;

void put(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

struct Fixture {
    fs::path dir;
    Fixture() {
        dir = fs::temp_directory_path() / fmt::format("berth-stats-{}-{}", getpid(), counter()++);
        fs::create_directories(dir);
        // /proc: 2 cpus, MemTotal, a netns with lo and eth0.
        put(dir / "proc/stat",
            "cpu  100 0 50 1000 10 0 5 7 0 0\ncpu0 50 0 25 500 5 0 2 3 0 0\n"
            "cpu1 50 0 25 500 5 0 3 4 0 0\nintr 12345\nctxt 999\n");
        put(dir / "proc/meminfo", "MemTotal:        2048000 kB\nMemFree:  100 kB\n");
        put(dir / "proc/42/net/dev",
            "Inter-|   Receive                                                |  Transmit\n"
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
            "packets errs drop fifo colls carrier compressed\n"
            "    lo:     100       1    0    0    0     0          0         0      100       "
            "1    0    0    0     0       0          0\n"
            "  eth0:    5338      36    1    2    0     0          0         0      648       "
            "8    3    4    0     0       0          0\n");
    }
    ~Fixture() { fs::remove_all(dir); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    StatsSource source() const {
        StatsSource s;
        s.id = kId;
        s.name = "/web";
        s.pid = 42;
        s.cgroupsPath = std::string("/berth/") + kId;
        s.cgroupRoot = (dir / "cgroup").string();
        s.procRoot = (dir / "proc").string();
        return s;
    }
    fs::path cg(const std::string& ctrl) const { return dir / "cgroup" / ctrl / "berth" / kId; }
    void v1() const {
        put(cg("cpuacct") / "cpuacct.usage", "29912000\n");
        put(cg("cpuacct") / "cpuacct.usage_percpu", "20000000 9912000 \n");
        put(cg("cpuacct") / "cpuacct.stat", "user 3\nsystem 2\n");
        put(cg("cpu") / "cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 5000\n");
        put(cg("memory") / "memory.usage_in_bytes", "10485760\n");
        put(cg("memory") / "memory.max_usage_in_bytes", "20971520\n");
        put(cg("memory") / "memory.failcnt", "0\n");
        put(cg("memory") / "memory.limit_in_bytes", "9223372036854771712\n");
        put(cg("memory") / "memory.stat",
            "cache 4096\nrss 8192\ntotal_inactive_file 1048576\nhierarchical_memory_limit "
            "9223372036854771712\n");
        put(cg("blkio") / "blkio.io_service_bytes_recursive", "Total 0\n");
        put(cg("blkio") / "blkio.throttle.io_service_bytes_recursive",
            "254:0 Read 7593984\n254:0 Write 100\n254:0 Sync 0\n254:0 Async 7594084\n"
            "254:0 Discard 0\n254:0 Total 7594084\nTotal 7594084\n");
        put(cg("blkio") / "blkio.throttle.io_serviced_recursive",
            "254:0 Read 12\n254:0 Write 1\nTotal 13\n");
        put(cg("pids") / "pids.current", "3\n");
        put(cg("pids") / "pids.max", "max\n");
        fs::create_directories(dir / "cgroup" / "unified");
    }
    void v2() const {
        fs::path c = dir / "cgroup";
        put(c / "cgroup.controllers", "cpu io memory pids\n");
        fs::path d = c / "berth" / kId;
        put(d / "cpu.stat",
            "usage_usec 29912\nuser_usec 7918\nsystem_usec 21994\nnr_periods 7\n"
            "nr_throttled 1\nthrottled_usec 250\n");
        put(d / "memory.current", "5242880\n");
        put(d / "memory.max", "104857600\n");
        put(d / "memory.stat", "anon 1572864\nfile 7626752\ninactive_file 2510848\nsock 0\n");
        put(d / "io.stat", "254:0 rbytes=7593984 wbytes=100 rios=12 wios=1 dbytes=0 dios=0\n");
        put(d / "pids.current", "2\n");
        put(d / "pids.max", "100\n");
    }
};

Json stats(const StatsSource& s, const std::optional<std::string>& prev = std::nullopt) {
    auto r = statsJson(s, prev);
    EXPECT_TRUE(r) << r.error().str();
    return r ? Json::parse(*r) : Json();
}

TEST(Stats, CgroupV1Fixture) {
    Fixture f;
    f.v1();
    Json j = stats(f.source());
    EXPECT_EQ(j["id"], kId);
    EXPECT_EQ(j["name"], "/web");
    EXPECT_EQ(j["preread"], "0001-01-01T00:00:00Z");
    EXPECT_TRUE(j["read"].get<std::string>().ends_with("Z"));
    EXPECT_EQ(j["num_procs"], 0);

    const Json& cpu = j["cpu_stats"];
    EXPECT_EQ(cpu["cpu_usage"]["total_usage"], 29912000u);
    EXPECT_EQ(cpu["cpu_usage"]["percpu_usage"], Json::parse("[20000000, 9912000]"));
    uint64_t tick = 1000000000ULL / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
    EXPECT_EQ(cpu["cpu_usage"]["usage_in_usermode"], 3 * tick);
    EXPECT_EQ(cpu["cpu_usage"]["usage_in_kernelmode"], 2 * tick);
    EXPECT_EQ(cpu["system_cpu_usage"], (100 + 0 + 50 + 1000 + 10 + 0 + 5) * tick);
    EXPECT_EQ(cpu["online_cpus"], 2);
    EXPECT_EQ(cpu["throttling_data"],
              Json::parse(R"({"periods":10,"throttled_periods":4,"throttled_time":5000})"));
    EXPECT_EQ(j["precpu_stats"]["cpu_usage"]["total_usage"], 0);
    EXPECT_FALSE(j["precpu_stats"].contains("system_cpu_usage"));

    const Json& mem = j["memory_stats"];
    EXPECT_EQ(mem["usage"], 10485760u);  // raw: the CLI subtracts total_inactive_file
    EXPECT_EQ(mem["max_usage"], 20971520u);
    EXPECT_EQ(mem["limit"], kMemTotal);  // unlimited -> the host's memory
    EXPECT_EQ(mem["stats"]["total_inactive_file"], 1048576u);
    EXPECT_EQ(mem["stats"]["cache"], 4096u);

    const Json& io = j["blkio_stats"];
    ASSERT_EQ(io["io_service_bytes_recursive"].size(), 6u) << io.dump();
    EXPECT_EQ(io["io_service_bytes_recursive"][0],
              Json::parse(R"({"major":254,"minor":0,"op":"Read","value":7593984})"));
    EXPECT_EQ(io["io_serviced_recursive"].size(), 2u);
    EXPECT_EQ(io["io_queue_recursive"], Json::array());

    EXPECT_EQ(j["pids_stats"]["current"], 3);
    EXPECT_EQ(j["pids_stats"]["limit"], std::numeric_limits<uint64_t>::max());

    ASSERT_TRUE(j.contains("networks"));
    EXPECT_FALSE(j["networks"].contains("lo"));
    EXPECT_EQ(j["networks"]["eth0"],
              Json::parse(R"({"rx_bytes":5338,"rx_packets":36,"rx_errors":1,"rx_dropped":2,
                              "tx_bytes":648,"tx_packets":8,"tx_errors":3,"tx_dropped":4})"));
}

TEST(Stats, CgroupV2Fixture) {
    Fixture f;
    f.v2();
    Json j = stats(f.source());
    const Json& cpu = j["cpu_stats"]["cpu_usage"];
    EXPECT_EQ(cpu["total_usage"], 29912000u);
    EXPECT_EQ(cpu["usage_in_usermode"], 7918000u);
    EXPECT_EQ(cpu["usage_in_kernelmode"], 21994000u);
    EXPECT_FALSE(cpu.contains("percpu_usage"));
    EXPECT_EQ(j["cpu_stats"]["throttling_data"]["throttled_time"], 250000u);
    const Json& mem = j["memory_stats"];
    EXPECT_EQ(mem["usage"], 5242880u);
    EXPECT_EQ(mem["limit"], 104857600u);
    EXPECT_FALSE(mem.contains("max_usage"));
    EXPECT_EQ(mem["stats"]["inactive_file"], 2510848u);
    EXPECT_EQ(mem["stats"]["anon"], 1572864u);
    EXPECT_EQ(mem["stats"]["pgfault"], 0u);  // docker's fixed key set, zero when absent
    EXPECT_EQ(mem["stats"].size(), 31u);
    EXPECT_EQ(j["blkio_stats"]["io_service_bytes_recursive"],
              Json::parse(R"([{"major":254,"minor":0,"op":"read","value":7593984},
                              {"major":254,"minor":0,"op":"write","value":100}])"));
    EXPECT_TRUE(j["blkio_stats"]["io_serviced_recursive"].is_null());
    EXPECT_EQ(j["pids_stats"], Json::parse(R"({"current":2,"limit":100})"));
}

TEST(Stats, V2MaxMemoryIsHostMemory) {
    Fixture f;
    f.v2();
    put(f.dir / "cgroup/berth" / kId / "memory.max", "max\n");
    EXPECT_EQ(stats(f.source())["memory_stats"]["limit"], kMemTotal);
}

TEST(Stats, PreviousSampleBecomesPrecpu) {
    Fixture f;
    f.v2();
    auto first = statsJson(f.source(), std::nullopt);
    ASSERT_TRUE(first);
    put(f.dir / "cgroup/berth" / kId / "cpu.stat", "usage_usec 40000\n");
    Json second = stats(f.source(), *first);
    Json one = Json::parse(*first);
    EXPECT_EQ(second["preread"], one["read"]);
    EXPECT_EQ(second["precpu_stats"], one["cpu_stats"]);
    EXPECT_EQ(second["cpu_stats"]["cpu_usage"]["total_usage"], 40000000u);
}

TEST(Stats, NoNetworkWithoutPidOrInterfaces) {
    Fixture f;
    f.v2();
    StatsSource s = f.source();
    s.pid = 0;
    EXPECT_FALSE(stats(s).contains("networks"));
    put(f.dir / "proc/43/net/dev", "h1\nh2\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n");
    s.pid = 43;
    EXPECT_FALSE(stats(s).contains("networks"));
}

TEST(Stats, MissingCgroupIsENOENT) {
    Fixture f;
    f.v2();
    StatsSource s = f.source();
    s.id = "gone";
    s.cgroupsPath = "/berth/gone";
    auto r = statsJson(s, std::nullopt);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ENOENT);
}

// The host's real cgroups (root): a child in a fresh cgroup shows up in pids and memory.
TEST(Stats, LiveCgroupOfThisHost) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    auto mt = cgroups::loadMountTable("/sys/fs/cgroup");
    ASSERT_TRUE(mt) << mt.error().str();
    std::string id = fmt::format("berth-stats-test-{}", getpid());
    std::string rel = "berth-test/" + id;
    std::vector<std::string> dirs;
    bool v1 = mt->v1.count("memory") != 0;
    if (v1) {
        for (const char* c : {"cpuacct", "cpu", "memory", "pids", "blkio"})
            if (mt->v1.count(c)) dirs.push_back(mt->v1.at(c) + "/" + rel);
    } else {
        dirs.push_back((mt->unified.empty() ? "/sys/fs/cgroup" : mt->unified) + "/" + rel);
    }
    std::sort(dirs.begin(), dirs.end());
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    for (const auto& d : dirs) fs::create_directories(d);
    pid_t child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    for (const auto& d : dirs) std::ofstream(d + "/cgroup.procs") << child;
    StatsSource s;
    s.id = id;
    s.name = "/live";
    s.pid = child;
    s.cgroupsPath = "/" + rel;
    auto r = statsJson(s, std::nullopt);
    bool hasPids = v1 || fs::exists(dirs[0] + "/pids.current");
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    for (const auto& d : dirs) {
        for (int i = 0; i < 100 && ::rmdir(d.c_str()) < 0 && errno == EBUSY; ++i) usleep(10000);
        ::rmdir(fs::path(d).parent_path().c_str());  // berth-test, when empty
    }
    ASSERT_TRUE(r) << r.error().str();
    Json j = Json::parse(*r);
    if (hasPids) {
        EXPECT_EQ(j["pids_stats"]["current"], 1);
    }
    EXPECT_GT(j["cpu_stats"]["system_cpu_usage"].get<uint64_t>(), 0u);
    EXPECT_EQ(j["cpu_stats"]["online_cpus"].get<long>(), sysconf(_SC_NPROCESSORS_ONLN));
    EXPECT_GT(j["memory_stats"]["limit"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace berth::engine
