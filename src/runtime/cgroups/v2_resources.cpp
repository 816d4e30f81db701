// cgroup v2 writers: one directory, v2 file names and value formats.
#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "common/log.h"
#include "runtime/cgroups/cgfs.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups::v2 {

namespace {

std::vector<std::string> words(std::string_view s) {
    std::istringstream in{std::string(s)};
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace

uint64_t sharesToWeight(uint64_t shares) {
    if (shares == 0) return 0;
    shares = std::clamp<uint64_t>(shares, 2, 262144);
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkioToIoWeight(uint64_t w) {
    if (w == 0) return 0;
    w = std::clamp<uint64_t>(w, 10, 1000);
    return 1 + (w - 10) * 9999 / 990;
}

Status applyMemory(const std::string& dir, const spec::MemoryResources& m) {
    if (m.checkBeforeUpdate.value_or(false) && m.limit && *m.limit > 0) {
        uint64_t usage = TRY(cgfs::readUint(dir, "memory.current"));
        if (usage > static_cast<uint64_t>(*m.limit)) {
            return makeError(EBUSY, "memory limit {} is below current usage {} of {}", *m.limit,
                             usage, dir);
        }
    }
    // OCI swap is memory+swap; v2 limits swap alone.
    std::string swap;
    if (m.swap && *m.swap == -1) {
        swap = "max";
    } else if (m.swap && *m.swap != 0) {
        if (!m.limit || *m.limit <= 0) {
            return invalid("memory.swap {} needs a memory.limit on cgroup v2", *m.swap);
        }
        if (*m.swap < *m.limit) {
            return invalid("memory.swap {} is below memory.limit {} (swap counts memory+swap)",
                           *m.swap, *m.limit);
        }
        swap = std::to_string(*m.swap - *m.limit);
    } else if (!m.swap && m.limit && *m.limit == -1) {
        swap = "max";  // "unlimited memory" means unlimited swap too, as on v1
    }
    if (!swap.empty()) {
        auto st = cgfs::write(dir, "memory.swap.max", swap);
        // No swap accounting: "no limit" and "no swap" hold anyway.
        if (!st && !(st.error().code == ENOENT && (swap == "max" || swap == "0"))) return st;
    }
    if (m.limit) TRY(cgfs::write(dir, "memory.max", cgfs::limitString(*m.limit)));
    if (m.reservation) TRY(cgfs::write(dir, "memory.low", cgfs::limitString(*m.reservation)));
    if (m.swappiness) log::debug("memory.swappiness has no cgroup v2 equivalent; ignored");
    if (m.disableOOMKiller.value_or(false)) {
        log::debug("memory.disableOOMKiller has no cgroup v2 equivalent; ignored");
    }
    if (m.kernel || m.kernelTCP) log::debug("kernel memory limits ignored on cgroup v2");
    return {};
}

Status applyCpu(const std::string& dir, const spec::CpuResources& c) {
    if (c.realtimePeriod || c.realtimeRuntime) {
        return invalid("cpu.realtimePeriod/realtimeRuntime need cgroup v1 (v2 has no rt limits)");
    }
    if (c.shares && *c.shares != 0) {
        TRY(cgfs::write(dir, "cpu.weight", std::to_string(sharesToWeight(*c.shares))));
    }
    if (c.quota || c.period) {
        std::string quota;
        if (c.quota) {
            quota = *c.quota > 0 ? std::to_string(*c.quota) : "max";
        } else {
            // Period alone: keep the current quota ("max 100000" would drop it).
            auto cur = cgfs::readTrimmed(dir, "cpu.max");
            auto w = cur ? words(*cur) : std::vector<std::string>{};
            quota = w.empty() ? "max" : w[0];
        }
        if (c.period && *c.period != 0) quota += " " + std::to_string(*c.period);
        TRY(cgfs::write(dir, "cpu.max", quota));
    }
    if (c.burst) TRY(cgfs::write(dir, "cpu.max.burst", std::to_string(*c.burst)));
    if (c.idle) TRY(cgfs::write(dir, "cpu.idle", std::to_string(*c.idle)));
    if (!c.cpus.empty()) TRY(cgfs::write(dir, "cpuset.cpus", c.cpus));
    if (!c.mems.empty()) TRY(cgfs::write(dir, "cpuset.mems", c.mems));
    return {};
}

Status applyPids(const std::string& dir, const spec::PidsResources& p) {
    if (!p.limit) return {};
    return cgfs::write(dir, "pids.max", *p.limit > 0 ? std::to_string(*p.limit) : "max");
}

Status applyIo(const std::string& dir, const spec::BlockIoResources& b) {
    // BFQ takes blkio-scale weights as they are; io.weight has its own 1..10000 scale.
    bool bfq = cgfs::exists(dir, "io.bfq.weight");
    auto weight = [&](uint64_t w) { return bfq ? w : blkioToIoWeight(w); };
    const char* weightFile = bfq ? "io.bfq.weight" : "io.weight";
    if (b.weight) TRY(cgfs::write(dir, weightFile, std::to_string(weight(*b.weight))));
    if (b.leafWeight) log::debug("blockIO.leafWeight has no cgroup v2 equivalent; ignored");
    for (const auto& d : b.weightDevice) {
        if (!d.weight) continue;
        TRY(cgfs::write(dir, weightFile,
                        fmt::format("{}:{} {}", d.major, d.minor, weight(*d.weight))));
    }
    auto limit = [&](const std::vector<spec::BlockIoDevice>& list, const char* key) -> Status {
        for (const auto& d : list) {
            TRY(cgfs::write(dir, "io.max",
                            fmt::format("{}:{} {}={}", d.major, d.minor, key, d.rate)));
        }
        return {};
    };
    TRY(limit(b.throttleReadBpsDevice, "rbps"));
    TRY(limit(b.throttleWriteBpsDevice, "wbps"));
    TRY(limit(b.throttleReadIOPSDevice, "riops"));
    TRY(limit(b.throttleWriteIOPSDevice, "wiops"));
    return {};
}

Status applyHugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& h) {
    for (const auto& l : h) {
        TRY(checkPageSize(l.pageSize));
        std::string file = "hugetlb." + l.pageSize + ".max";
        if (!cgfs::exists(dir, file)) {
            return makeError(ENOENT, "hugepage size {} is not supported here: no {}/{}", l.pageSize,
                             dir, file);
        }
        TRY(cgfs::write(dir, file, std::to_string(l.limit)));
        std::string rsvd = "hugetlb." + l.pageSize + ".rsvd.max";
        if (cgfs::exists(dir, rsvd)) TRY(cgfs::write(dir, rsvd, std::to_string(l.limit)));
    }
    return {};
}

Status applyUnified(const std::string& dir, const std::map<std::string, std::string>& kv) {
    for (const auto& [k, v] : kv) {
        if (k.empty() || k.find('/') != std::string::npos || k == "." || k == "..") {
            return invalid("linux.resources.unified key {:?} is not a cgroup file name", k);
        }
        TRY_CTX(cgfs::write(dir, k, v), "linux.resources.unified[{:?}]", k);
    }
    return {};
}

Status enableControllers(const std::string& mount, const std::string& rel) {
    // Every ancestor of the leaf, top-down: a child lists a controller only once its parent
    // enabled it.
    std::vector<std::string> dirs = {mount};
    for (size_t pos = rel.find('/'); pos != std::string::npos; pos = rel.find('/', pos + 1)) {
        dirs.push_back(mount + "/" + rel.substr(0, pos));
    }
    for (const auto& d : dirs) {
        auto avail = cgfs::readTrimmed(d, "cgroup.controllers");
        if (!avail) return std::move(avail).error().wrap("enable cgroup v2 controllers");
        auto on = cgfs::readTrimmed(d, "cgroup.subtree_control");
        auto enabled = on ? words(*on) : std::vector<std::string>{};
        std::vector<std::string> missing;
        for (const auto& c : words(*avail)) {
            if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) {
                missing.push_back("+" + c);
            }
        }
        if (missing.empty()) continue;
        if (cgfs::write(d, "cgroup.subtree_control", fmt::format("{}", fmt::join(missing, " ")))) {
            continue;
        }
        // One by one, so one controller that cannot be enabled does not block the rest.
        for (const auto& c : missing) {
            auto st = cgfs::write(d, "cgroup.subtree_control", c);
            if (!st) log::debug("{}", st.error().str());
        }
    }
    return {};
}

}  // namespace berth::cgroups::v2
