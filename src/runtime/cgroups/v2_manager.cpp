// cgroup v2: one directory in the unified tree.
#include <charconv>
#include <sstream>

#include "common/log.h"
#include "runtime/cgroups/cgfs.h"
#include "runtime/cgroups/devices_bpf.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups {

V2Manager::V2Manager(std::string mountDir, std::string rel)
    : mount_(std::move(mountDir)), rel_(std::move(rel)), dir_(mount_ + "/" + rel_) {}

std::set<std::string> V2Manager::available() const {
    std::set<std::string> out;
    auto s = cgfs::read(mount_, "cgroup.controllers");
    if (!s) return out;
    std::istringstream in(*s);
    for (std::string w; in >> w;) out.insert(w);
    return out;
}

std::map<std::string, std::string> V2Manager::paths() const {
    return {{"", dir_}};
}

Status V2Manager::createDir() {
    return cgfs::mkdirPath(mount_, rel_,
                           [](const std::string&, const std::string&) { return Status(); });
}

Status V2Manager::enableControllers() { return v2::enableControllers(mount_, rel_); }

Status V2Manager::create() {
    TRY(createDir());
    return enableControllers();
}

Status V2Manager::addTask(pid_t pid) {
    return cgfs::write(dir_, "cgroup.procs", std::to_string(pid));
}

Status V2Manager::apply(const spec::Resources& r) {
    if (r.memory) TRY(v2::applyMemory(dir_, *r.memory));
    if (r.cpu) TRY(v2::applyCpu(dir_, *r.cpu));
    if (r.pids) TRY(v2::applyPids(dir_, *r.pids));
    if (r.blockIO) TRY(v2::applyIo(dir_, *r.blockIO));
    if (!r.hugepageLimits.empty()) TRY(v2::applyHugetlb(dir_, r.hugepageLimits));
    if (!r.devices.empty()) {
        // v2 has no devices files: the rules become an eBPF program on the directory.
        auto rules = TRY(devices::normalize(r.devices));
        auto prog = devices::generateProgram(devices::emulate(rules));
        TRY(devices::attachProgram(dir_, prog));
    }
    if (r.network) log::debug("network classID/priorities have no cgroup v2 controller; ignored");
    if (!r.rdma.empty()) log::debug("rdma limits are not supported; ignored");
    // Last, so explicit unified values win over the converted ones.
    if (!r.unified.empty()) TRY(v2::applyUnified(dir_, r.unified));
    return {};
}

Status V2Manager::freeze() {
    TRY(cgfs::write(dir_, "cgroup.freeze", "1"));
    bool ok = cgfs::pollFor(
        2000, [&] { return cgfs::readKeyValues(dir_, "cgroup.events")["frozen"] == 1; });
    if (ok) return {};
    (void)thaw();
    return makeError(EBUSY, "freeze {}: cgroup.events does not say frozen after 2s", dir_);
}

Status V2Manager::thaw() {
    return cgfs::write(dir_, "cgroup.freeze", "0");
}

Result<FreezerState> V2Manager::freezerState() {
    std::string want = TRY(cgfs::readTrimmed(dir_, "cgroup.freeze"));
    if (want != "1") return FreezerState::Thawed;
    bool frozen = cgfs::readKeyValues(dir_, "cgroup.events")["frozen"] == 1;
    return frozen ? FreezerState::Frozen : FreezerState::Freezing;
}

Result<std::vector<pid_t>> V2Manager::pids() {
    return cgfs::readProcsRecursive(dir_);
}

Status V2Manager::killAll(int sig) {
    return killAllFrozen(*this, sig);
}

Status V2Manager::destroy() {
    return cgfs::removeCgroup(dir_);
}

Result<Stats> V2Manager::stats() {
    Stats s;
    auto uintOr0 = [&](const char* f) {
        auto v = cgfs::readUint(dir_, f);
        return v ? *v : 0;
    };
    auto cpu = cgfs::readKeyValues(dir_, "cpu.stat");
    s.cpuUsageNs = cpu["usage_usec"] * 1000;
    s.cpuUserNs = cpu["user_usec"] * 1000;
    s.cpuSystemNs = cpu["system_usec"] * 1000;
    s.cpuThrottledPeriods = cpu["nr_throttled"];
    s.cpuThrottledNs = cpu["throttled_usec"] * 1000;
    s.memoryUsage = uintOr0("memory.current");
    s.memoryLimit = uintOr0("memory.max");
    s.memoryMaxUsage = uintOr0("memory.peak");
    s.memoryCache = cgfs::readKeyValues(dir_, "memory.stat")["file"];
    s.swapUsage = uintOr0("memory.swap.current");
    s.oomKills = cgfs::readKeyValues(dir_, "memory.events")["oom_kill"];
    s.pidsCurrent = uintOr0("pids.current");
    s.pidsLimit = uintOr0("pids.max");
    // io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." per device.
    if (auto io = cgfs::read(dir_, "io.stat")) {
        std::istringstream in(*io);
        for (std::string w; in >> w;) {
            size_t eq = w.find('=');
            if (eq == std::string::npos) continue;
            uint64_t n = 0;
            std::from_chars(w.data() + eq + 1, w.data() + w.size(), n);
            if (w.compare(0, eq, "rbytes") == 0) s.ioReadBytes += n;
            if (w.compare(0, eq, "wbytes") == 0) s.ioWriteBytes += n;
        }
    }
    return s;
}

}  // namespace berth::cgroups
