// StatsResponse from cgroup files, the way docker fills it (daemon/stats_unix.go): v1 reads the
// cpuacct, cpu, memory, blkio and pids hierarchies (hybrid hosts too: docker uses v1 there), v2
// the container's directory of the unified tree.
#include "engine/stats.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <limits>
#include <map>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/sys.h"
#include "runtime/cgroups/cgroup.h"

namespace berth::engine {

namespace {

using Json = nlohmann::ordered_json;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

// Views into the caller's text: keep the string alive while they are used.
std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (i < line.size()) {
        while (i < line.size() && space(line[i])) ++i;
        size_t j = i;
        while (j < line.size() && !space(line[j])) ++j;
        if (j > i) out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        out.push_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
    return out;
}

uint64_t toUint(std::string_view s) {
    if (s == "max") return kMax;
    uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

// A missing or unreadable file reads as empty: a controller that is not there counts zero.
std::string readOr(const std::string& path) {
    auto r = sys::readFile(path);
    return r ? std::move(*r) : std::string();
}

uint64_t readUint(const std::string& path) {
    std::string text = readOr(path);
    auto f = fields(text);
    return f.empty() ? 0 : toUint(f[0]);
}

// "key value" lines, in file order (memory.stat, cpu.stat).
std::vector<std::pair<std::string, uint64_t>> readKeyValues(const std::string& path) {
    std::vector<std::pair<std::string, uint64_t>> out;
    std::string text = readOr(path);
    for (auto line : lines(text)) {
        auto f = fields(line);
        if (f.size() == 2) out.emplace_back(std::string(f[0]), toUint(f[1]));
    }
    return out;
}

uint64_t lookup(const std::vector<std::pair<std::string, uint64_t>>& kv, std::string_view key) {
    for (const auto& [k, v] : kv)
        if (k == key) return v;
    return 0;
}

// "8:0 Read 4096" lines (Total lines skipped); empty when the file has none.
Json blkioEntries(const std::string& path) {
    Json out = Json::array();
    std::string text = readOr(path);
    for (auto line : lines(text)) {
        auto f = fields(line);
        size_t colon = f.empty() ? std::string_view::npos : f[0].find(':');
        if (f.size() != 3 || colon == std::string_view::npos) continue;
        out.push_back({{"major", toUint(f[0].substr(0, colon))},
                       {"minor", toUint(f[0].substr(colon + 1))},
                       {"op", std::string(f[1])},
                       {"value", toUint(f[2])}});
    }
    return out;
}

// CFQ/BFQ accounting when the kernel has it, else the throttle layer's (runc's order).
Json blkioV1(const std::string& dir, const std::string& name) {
    Json j = blkioEntries(dir + "/blkio." + name);
    return j.empty() ? blkioEntries(dir + "/blkio.throttle." + name) : j;
}

Json throttling(uint64_t periods, uint64_t throttled, uint64_t timeNs) {
    return {{"periods", periods}, {"throttled_periods", throttled}, {"throttled_time", timeNs}};
}

struct Sample {
    Json cpuUsage, throttlingData, memory, blkio, pids;
};

Sample readV1(const cgroups::MountTable& mt, const std::string& rel) {
    auto dir = [&](const char* ctrl) {
        auto it = mt.v1.find(ctrl);
        return it == mt.v1.end() ? std::string() : it->second + "/" + rel;
    };
    Sample s;
    std::string cpuacct = dir("cpuacct");
    uint64_t tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    auto ticks = readKeyValues(cpuacct + "/cpuacct.stat");
    Json percpu = Json::array();
    std::string percpuText = readOr(cpuacct + "/cpuacct.usage_percpu");
    for (auto f : fields(percpuText)) percpu.push_back(toUint(f));
    s.cpuUsage = {{"total_usage", readUint(cpuacct + "/cpuacct.usage")}};
    if (!percpu.empty()) s.cpuUsage["percpu_usage"] = percpu;
    s.cpuUsage["usage_in_kernelmode"] = lookup(ticks, "system") * tick;
    s.cpuUsage["usage_in_usermode"] = lookup(ticks, "user") * tick;
    auto cpu = readKeyValues(dir("cpu") + "/cpu.stat");
    s.throttlingData = throttling(lookup(cpu, "nr_periods"), lookup(cpu, "nr_throttled"),
                                  lookup(cpu, "throttled_time"));

    std::string mem = dir("memory");
    Json stats = Json::object();
    for (auto& [k, v] : readKeyValues(mem + "/memory.stat")) stats[k] = v;
    s.memory = {{"usage", readUint(mem + "/memory.usage_in_bytes")},
                {"max_usage", readUint(mem + "/memory.max_usage_in_bytes")},
                {"stats", stats},
                {"failcnt", readUint(mem + "/memory.failcnt")},
                {"limit", readUint(mem + "/memory.limit_in_bytes")}};

    std::string blkio = dir("blkio");
    s.blkio = {{"io_service_bytes_recursive", blkioV1(blkio, "io_service_bytes_recursive")},
               {"io_serviced_recursive", blkioV1(blkio, "io_serviced_recursive")}};
    for (const char* k :
         {"io_queue_recursive", "io_service_time_recursive", "io_wait_time_recursive",
          "io_merged_recursive", "io_time_recursive", "sectors_recursive"})
        s.blkio[k] = Json::array();  // docker copies containerd's (empty) v1 lists: []
    std::string pids = dir("pids");
    s.pids = {{"current", readUint(pids + "/pids.current")},
              {"limit", readUint(pids + "/pids.max")}};
    return s;
}

// The memory.stat keys docker (through containerd's cgroup2 stats) reports on v2.
constexpr const char* kV2MemoryKeys[] = {
    "anon",
    "file",
    "kernel_stack",
    "slab",
    "sock",
    "shmem",
    "file_mapped",
    "file_dirty",
    "file_writeback",
    "anon_thp",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "slab_reclaimable",
    "slab_unreclaimable",
    "pgfault",
    "pgmajfault",
    "workingset_refault",
    "workingset_activate",
    "workingset_nodereclaim",
    "pgrefill",
    "pgscan",
    "pgsteal",
    "pgactivate",
    "pgdeactivate",
    "pglazyfree",
    "pglazyfreed",
    "thp_fault_alloc",
    "thp_collapse_alloc",
};

Sample readV2(const std::string& dir) {
    Sample s;
    auto cpu = readKeyValues(dir + "/cpu.stat");
    s.cpuUsage = {{"total_usage", lookup(cpu, "usage_usec") * 1000},
                  {"usage_in_kernelmode", lookup(cpu, "system_usec") * 1000},
                  {"usage_in_usermode", lookup(cpu, "user_usec") * 1000}};
    s.throttlingData = throttling(lookup(cpu, "nr_periods"), lookup(cpu, "nr_throttled"),
                                  lookup(cpu, "throttled_usec") * 1000);
    auto memStat = readKeyValues(dir + "/memory.stat");
    Json stats = Json::object();
    for (const char* k : kV2MemoryKeys) stats[k] = lookup(memStat, k);
    uint64_t limit = sys::exists(dir + "/memory.max") ? readUint(dir + "/memory.max") : kMax;
    s.memory = {{"usage", readUint(dir + "/memory.current")}, {"stats", stats}, {"limit", limit}};

    Json bytes = Json::array();
    std::string ioStat = readOr(dir + "/io.stat");
    for (auto line : lines(ioStat)) {
        auto f = fields(line);
        size_t colon = f.empty() ? std::string_view::npos : f[0].find(':');
        if (colon == std::string_view::npos) continue;
        uint64_t maj = toUint(f[0].substr(0, colon)), min = toUint(f[0].substr(colon + 1));
        uint64_t rbytes = 0, wbytes = 0;
        for (size_t i = 1; i < f.size(); ++i) {
            if (f[i].starts_with("rbytes=")) rbytes = toUint(f[i].substr(7));
            if (f[i].starts_with("wbytes=")) wbytes = toUint(f[i].substr(7));
        }
        bytes.push_back({{"major", maj}, {"minor", min}, {"op", "read"}, {"value", rbytes}});
        bytes.push_back({{"major", maj}, {"minor", min}, {"op", "write"}, {"value", wbytes}});
    }
    s.blkio = {{"io_service_bytes_recursive", bytes.empty() ? Json() : bytes}};
    for (const char* k : {"io_serviced_recursive", "io_queue_recursive",
                          "io_service_time_recursive", "io_wait_time_recursive",
                          "io_merged_recursive", "io_time_recursive", "sectors_recursive"})
        s.blkio[k] = nullptr;
    s.pids = {{"current", readUint(dir + "/pids.current")},
              {"limit", sys::exists(dir + "/pids.max") ? readUint(dir + "/pids.max") : kMax}};
    return s;
}

// The "cpu" line of /proc/stat in nanoseconds (user..softirq, as docker) and the cpuN count.
std::pair<uint64_t, uint64_t> systemCpu(const std::string& procRoot) {
    uint64_t total = 0, online = 0;
    uint64_t tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    std::string text = readOr(procRoot + "/stat");
    for (auto line : lines(text)) {
        auto f = fields(line);
        if (f.empty() || !f[0].starts_with("cpu")) continue;
        if (f[0] != "cpu") {
            ++online;
            continue;
        }
        for (size_t i = 1; i < f.size() && i <= 7; ++i) total += toUint(f[i]);
    }
    return {total * tick, online};
}

uint64_t memTotal(const std::string& procRoot) {
    std::string text = readOr(procRoot + "/meminfo");
    for (auto line : lines(text)) {
        auto f = fields(line);
        if (f.size() >= 2 && f[0] == "MemTotal:") return toUint(f[1]) * 1024;
    }
    return 0;
}

// Interfaces of the netns /proc/<pid>/net/dev shows, but lo (docker reports endpoints only).
Json networks(const std::string& procRoot, pid_t pid) {
    Json out = Json::object();
    if (pid <= 0) return out;
    std::string text = readOr(procRoot + "/" + std::to_string(pid) + "/net/dev");
    for (auto line : lines(text)) {
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        auto name = fields(line.substr(0, colon));
        auto f = fields(line.substr(colon + 1));
        if (name.size() != 1 || name[0] == "lo" || f.size() < 12) continue;
        out[std::string(name[0])] = {{"rx_bytes", toUint(f[0])},   {"rx_packets", toUint(f[1])},
                                     {"rx_errors", toUint(f[2])},  {"rx_dropped", toUint(f[3])},
                                     {"tx_bytes", toUint(f[8])},   {"tx_packets", toUint(f[9])},
                                     {"tx_errors", toUint(f[10])}, {"tx_dropped", toUint(f[11])}};
    }
    return out;
}

// Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped.
std::string rfc3339NanoNow() {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    time_t secs = static_cast<time_t>(ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string frac = fmt::format("{:09d}", ns % 1000000000);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return std::string(buf) + (frac.empty() ? "" : "." + frac) + "Z";
}

Json zeroCpuStats() {
    return {
        {"cpu_usage", {{"total_usage", 0}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}}},
        {"throttling_data", throttling(0, 0, 0)}};
}

}  // namespace

Result<std::string> statsJson(const StatsSource& s,
                              const std::optional<std::string>& previousJson) {
    std::string rel = TRY_CTX(cgroups::resolvePath(s.cgroupsPath, s.id), "stats of {}", s.id);
    auto mt = TRY_CTX(cgroups::loadMountTable(s.cgroupRoot), "stats of {}", s.id);
    // Hybrid hosts keep the controllers in v1, so docker (and this) read v1 there.
    bool v1 = mt.v1.count("memory") || mt.v1.count("cpuacct");
    std::string probe;
    if (v1) {
        probe = (mt.v1.count("memory") ? mt.v1["memory"] : mt.v1["cpuacct"]) + "/" + rel;
    } else {
        probe = (mt.unified.empty() ? s.cgroupRoot : mt.unified) + "/" + rel;
    }
    if (!sys::isDir(probe)) return makeError(ENOENT, "stats of {}: no cgroup {}", s.id, probe);
    Sample smp = v1 ? readV1(mt, rel) : readV2(probe);

    uint64_t machine = memTotal(s.procRoot);
    uint64_t limit = smp.memory["limit"].get<uint64_t>();
    if (machine > 0 && (limit == 0 || limit > machine)) smp.memory["limit"] = machine;

    auto [systemNs, online] = systemCpu(s.procRoot);
    Json prev = previousJson ? Json::parse(*previousJson, nullptr, false) : Json();
    bool havePrev = prev.is_object() && prev.contains("cpu_stats");

    Json out = Json::object();
    out["read"] = rfc3339NanoNow();
    out["preread"] = havePrev && prev.contains("read") ? prev["read"] : Json(kZeroTime);
    out["pids_stats"] = smp.pids;
    out["blkio_stats"] = smp.blkio;
    out["num_procs"] = 0;
    out["storage_stats"] = Json::object();
    out["cpu_stats"] = {{"cpu_usage", smp.cpuUsage},
                        {"system_cpu_usage", systemNs},
                        {"online_cpus", online},
                        {"throttling_data", smp.throttlingData}};
    out["precpu_stats"] = havePrev ? prev["cpu_stats"] : zeroCpuStats();
    out["memory_stats"] = smp.memory;
    out["name"] = s.name;
    out["id"] = s.id;
    if (Json net = networks(s.procRoot, s.pid); !net.empty()) out["networks"] = std::move(net);
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace berth::engine
