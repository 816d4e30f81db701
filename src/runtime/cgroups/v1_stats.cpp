// cgroup v1 stats: whatever of cpuacct/cpu/memory/pids/blkio is mounted and readable.
#include <unistd.h>

#include <charconv>

#include "runtime/cgroups/cgfs.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups {

namespace {

uint64_t uintOr0(const std::string& dir, const std::string& file) {
    auto v = cgfs::readUint(dir, file);
    return v ? *v : 0;
}

// "8:0 Read 4096" lines of blkio.*io_service_bytes*; the Total lines are skipped.
void addBlkioBytes(std::string_view text, Stats& s) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        size_t a = line.find(' ');
        size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
        if (b == std::string_view::npos) continue;
        std::string_view op = line.substr(a + 1, b - a - 1);
        std::string_view v = line.substr(b + 1);
        uint64_t n = 0;
        std::from_chars(v.data(), v.data() + v.size(), n);
        if (op == "Read") s.ioReadBytes += n;
        if (op == "Write") s.ioWriteBytes += n;
    }
}

}  // namespace

Result<Stats> V1Manager::stats() {
    Stats s;
    if (std::string d = dir("cpuacct"); !d.empty()) {
        s.cpuUsageNs = uintOr0(d, "cpuacct.usage");
        if (cgfs::exists(d, "cpuacct.usage_user")) {
            s.cpuUserNs = uintOr0(d, "cpuacct.usage_user");
            s.cpuSystemNs = uintOr0(d, "cpuacct.usage_sys");
        } else {
            // cpuacct.stat counts USER_HZ ticks.
            auto kv = cgfs::readKeyValues(d, "cpuacct.stat");
            uint64_t nsPerTick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
            s.cpuUserNs = kv["user"] * nsPerTick;
            s.cpuSystemNs = kv["system"] * nsPerTick;
        }
    }
    if (std::string d = dir("cpu"); !d.empty()) {
        auto kv = cgfs::readKeyValues(d, "cpu.stat");
        s.cpuThrottledPeriods = kv["nr_throttled"];
        s.cpuThrottledNs = kv["throttled_time"];
    }
    if (std::string d = dir("memory"); !d.empty()) {
        s.memoryUsage = uintOr0(d, "memory.usage_in_bytes");
        s.memoryLimit = uintOr0(d, "memory.limit_in_bytes");
        s.memoryMaxUsage = uintOr0(d, "memory.max_usage_in_bytes");
        s.memoryCache = cgfs::readKeyValues(d, "memory.stat")["cache"];
        uint64_t memsw = uintOr0(d, "memory.memsw.usage_in_bytes");
        s.swapUsage = memsw > s.memoryUsage ? memsw - s.memoryUsage : 0;
        s.oomKills = cgfs::readKeyValues(d, "memory.oom_control")["oom_kill"];
    }
    if (std::string d = dir("pids"); !d.empty()) {
        s.pidsCurrent = uintOr0(d, "pids.current");
        s.pidsLimit = uintOr0(d, "pids.max");
    }
    if (std::string d = dir("blkio"); !d.empty()) {
        // CFQ/BFQ accounting when present, else the throttle layer's (always there).
        auto t = cgfs::read(d, "blkio.io_service_bytes_recursive");
        if (!t || cgfs::trim(*t).empty() || cgfs::trim(*t).starts_with("Total")) {
            t = cgfs::read(d, "blkio.throttle.io_service_bytes_recursive");
        }
        if (t) addBlkioBytes(*t, s);
    }
    return s;
}

}  // namespace berth::cgroups
