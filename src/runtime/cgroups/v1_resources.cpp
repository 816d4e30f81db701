// cgroup v1 writers, one per controller; each writes only the fields that are set.
#include <cctype>

#include "common/log.h"
#include "runtime/cgroups/cgfs.h"
#include "runtime/cgroups/devices_bpf.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups {

Status checkPageSize(const std::string& size) {
    size_t i = 0;
    while (i < size.size() && std::isdigit(static_cast<unsigned char>(size[i]))) i++;
    std::string unit = size.substr(i);
    if (i == 0 || (unit != "KB" && unit != "MB" && unit != "GB")) {
        return invalid("hugepage size {:?}: expected a size like 2MB or 1GB", size);
    }
    return {};
}

namespace v1 {

namespace {
std::string num(int64_t v) {
    return std::to_string(v);
}
}  // namespace

Status applyMemory(const std::string& dir, const spec::MemoryResources& m) {
    std::optional<int64_t> limit = m.limit, swap = m.swap;
    if (m.checkBeforeUpdate.value_or(false) && limit && *limit > 0) {
        uint64_t usage = TRY(cgfs::readUint(dir, "memory.usage_in_bytes"));
        if (usage > static_cast<uint64_t>(*limit)) {
            return makeError(EBUSY, "memory limit {} is below current usage {} of {}", *limit,
                             usage, dir);
        }
    }
    // Unlimited memory with no word on swap: unlimited swap too (else memsw < limit).
    if (limit && *limit == -1 && !swap) swap = -1;
    if (limit && swap) {
        // memsw must stay >= limit after each write, so the order depends on the direction.
        auto cur = cgfs::readUint(dir, "memory.limit_in_bytes");
        bool swapFirst = *swap == -1 || (cur && *cur < static_cast<uint64_t>(*swap));
        if (swapFirst) TRY(cgfs::write(dir, "memory.memsw.limit_in_bytes", num(*swap)));
        TRY(cgfs::write(dir, "memory.limit_in_bytes", num(*limit)));
        if (!swapFirst) TRY(cgfs::write(dir, "memory.memsw.limit_in_bytes", num(*swap)));
    } else if (limit) {
        TRY(cgfs::write(dir, "memory.limit_in_bytes", num(*limit)));
    } else if (swap) {
        TRY(cgfs::write(dir, "memory.memsw.limit_in_bytes", num(*swap)));
    }
    if (m.reservation) TRY(cgfs::write(dir, "memory.soft_limit_in_bytes", num(*m.reservation)));
    if (m.kernel) log::debug("memory.kernel is deprecated and ignored ({})", dir);
    if (m.kernelTCP) TRY(cgfs::write(dir, "memory.kmem.tcp.limit_in_bytes", num(*m.kernelTCP)));
    if (m.swappiness) {
        if (*m.swappiness > 100) {
            return invalid("memory.swappiness {} is out of range 0..100", *m.swappiness);
        }
        TRY(cgfs::write(dir, "memory.swappiness", std::to_string(*m.swappiness)));
    }
    if (m.disableOOMKiller.value_or(false)) TRY(cgfs::write(dir, "memory.oom_control", "1"));
    if (m.useHierarchy.value_or(false)) TRY(cgfs::write(dir, "memory.use_hierarchy", "1"));
    return {};
}

Status applyCpu(const std::string& dir, const spec::CpuResources& c) {
    if (c.shares) TRY(cgfs::write(dir, "cpu.shares", std::to_string(*c.shares)));
    if (c.period) {
        auto st = cgfs::write(dir, "cpu.cfs_period_us", std::to_string(*c.period));
        // A shorter period can clash with the current quota; set the quota first then.
        if (!st && st.error().code == EINVAL && c.quota) {
            TRY(cgfs::write(dir, "cpu.cfs_quota_us", num(*c.quota)));
            st = cgfs::write(dir, "cpu.cfs_period_us", std::to_string(*c.period));
        }
        TRY(std::move(st));
    }
    if (c.quota) TRY(cgfs::write(dir, "cpu.cfs_quota_us", num(*c.quota)));
    if (c.burst) TRY(cgfs::write(dir, "cpu.cfs_burst_us", num(*c.burst)));
    if (c.realtimePeriod) {
        TRY(cgfs::write(dir, "cpu.rt_period_us", std::to_string(*c.realtimePeriod)));
    }
    if (c.realtimeRuntime) TRY(cgfs::write(dir, "cpu.rt_runtime_us", num(*c.realtimeRuntime)));
    if (c.idle) TRY(cgfs::write(dir, "cpu.idle", num(*c.idle)));
    return {};
}

Status applyCpuset(const std::string& dir, const spec::CpuResources& c) {
    if (!c.cpus.empty()) TRY(cgfs::write(dir, "cpuset.cpus", c.cpus));
    if (!c.mems.empty()) TRY(cgfs::write(dir, "cpuset.mems", c.mems));
    return {};
}

Status primeCpuset(const std::string& dir, const std::string& parent) {
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        std::string cur = TRY(cgfs::readTrimmed(dir, f));
        if (!cur.empty()) continue;
        std::string p = TRY(cgfs::readTrimmed(parent, f));
        TRY(cgfs::write(dir, f, p));
    }
    return {};
}

Status applyPids(const std::string& dir, const spec::PidsResources& p) {
    if (!p.limit) return {};
    return cgfs::write(dir, "pids.max", *p.limit > 0 ? num(*p.limit) : "max");
}

Status applyBlkio(const std::string& dir, const spec::BlockIoResources& b) {
    // CFQ had blkio.weight; with BFQ only blkio.bfq.* exist.
    bool bfq = !cgfs::exists(dir, "blkio.weight") && cgfs::exists(dir, "blkio.bfq.weight");
    std::string weightFile = bfq ? "blkio.bfq.weight" : "blkio.weight";
    std::string weightDevFile = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
    if (b.weight) TRY(cgfs::write(dir, weightFile, std::to_string(*b.weight)));
    if (b.leafWeight) TRY(cgfs::write(dir, "blkio.leaf_weight", std::to_string(*b.leafWeight)));
    for (const auto& d : b.weightDevice) {
        std::string dev = fmt::format("{}:{}", d.major, d.minor);
        if (d.weight) TRY(cgfs::write(dir, weightDevFile, fmt::format("{} {}", dev, *d.weight)));
        if (d.leafWeight) {
            TRY(cgfs::write(dir, "blkio.leaf_weight_device",
                            fmt::format("{} {}", dev, *d.leafWeight)));
        }
    }
    auto throttle = [&](const std::vector<spec::BlockIoDevice>& list, const char* file) -> Status {
        for (const auto& d : list) {
            TRY(cgfs::write(dir, file, fmt::format("{}:{} {}", d.major, d.minor, d.rate)));
        }
        return {};
    };
    TRY(throttle(b.throttleReadBpsDevice, "blkio.throttle.read_bps_device"));
    TRY(throttle(b.throttleWriteBpsDevice, "blkio.throttle.write_bps_device"));
    TRY(throttle(b.throttleReadIOPSDevice, "blkio.throttle.read_iops_device"));
    TRY(throttle(b.throttleWriteIOPSDevice, "blkio.throttle.write_iops_device"));
    return {};
}

Status applyHugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& h) {
    for (const auto& l : h) {
        TRY(checkPageSize(l.pageSize));
        std::string file = "hugetlb." + l.pageSize + ".limit_in_bytes";
        if (!cgfs::exists(dir, file)) {
            return makeError(ENOENT, "hugepage size {} is not supported here: no {}/{}", l.pageSize,
                             dir, file);
        }
        TRY(cgfs::write(dir, file, std::to_string(l.limit)));
        std::string rsvd = "hugetlb." + l.pageSize + ".rsvd.limit_in_bytes";
        if (cgfs::exists(dir, rsvd)) TRY(cgfs::write(dir, rsvd, std::to_string(l.limit)));
    }
    return {};
}

Status applyDevices(const std::string& dir, const std::vector<spec::DeviceRule>& rules) {
    auto list = TRY(devices::normalize(rules));
    TRY(cgfs::write(dir, "devices.deny", "a"));
    for (const auto& r : list) {
        TRY(cgfs::write(dir, r.allow ? "devices.allow" : "devices.deny", r.v1String()));
    }
    return {};
}

}  // namespace v1
}  // namespace berth::cgroups
