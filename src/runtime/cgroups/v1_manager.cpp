// cgroup v1: a directory per hierarchy; the container joins each of them.
#include <signal.h>

#include "common/log.h"
#include "runtime/cgroups/cgfs.h"
#include "runtime/cgroups/managers.h"

namespace berth::cgroups {

V1Manager::V1Manager(std::map<std::string, std::string> mounts, std::string rel)
    : mounts_(std::move(mounts)), rel_(std::move(rel)) {}

std::string V1Manager::dir(const std::string& controller) const {
    auto it = mounts_.find(controller);
    return it == mounts_.end() ? std::string() : it->second + "/" + rel_;
}

Result<std::string> V1Manager::need(const std::string& controller, std::string_view what) const {
    std::string d = dir(controller);
    if (d.empty()) {
        return makeError(ENOENT, "cgroup v1 controller {} is not mounted (needed for {})",
                         controller, what);
    }
    return d;
}

std::set<std::string> V1Manager::hierarchyDirs() const {
    std::set<std::string> out;
    for (const auto& [c, m] : mounts_) out.insert(m + "/" + rel_);
    return out;
}

std::map<std::string, std::string> V1Manager::paths() const {
    std::map<std::string, std::string> out;
    for (const auto& [c, m] : mounts_) out[c] = m + "/" + rel_;
    return out;
}

Status V1Manager::create() {
    std::set<std::string> done;
    for (const auto& [c, m] : mounts_) {
        if (!done.insert(m).second) continue;
        bool cpuset = dir("cpuset") == m + "/" + rel_;
        TRY(cgfs::mkdirPath(m, rel_, [&](const std::string& d, const std::string& parent) {
            return cpuset ? v1::primeCpuset(d, parent) : Status();
        }));
    }
    return {};
}

Status V1Manager::addTask(pid_t pid) {
    for (const auto& d : hierarchyDirs()) TRY(cgfs::write(d, "cgroup.procs", std::to_string(pid)));
    return {};
}

Status V1Manager::apply(const spec::Resources& r) {
    if (r.memory) {
        std::string d = TRY(need("memory", "memory limits"));
        TRY(v1::applyMemory(d, *r.memory));
    }
    if (r.cpu) {
        const auto& c = *r.cpu;
        if (c.shares || c.quota || c.period || c.burst || c.realtimePeriod || c.realtimeRuntime ||
            c.idle) {
            std::string d = TRY(need("cpu", "cpu limits"));
            TRY(v1::applyCpu(d, c));
        }
        if (!c.cpus.empty() || !c.mems.empty()) {
            std::string d = TRY(need("cpuset", "cpu.cpus/cpu.mems"));
            TRY(v1::applyCpuset(d, c));
        }
    }
    if (r.pids) {
        std::string d = TRY(need("pids", "pids.limit"));
        TRY(v1::applyPids(d, *r.pids));
    }
    if (r.blockIO) {
        std::string d = TRY(need("blkio", "blockIO"));
        TRY(v1::applyBlkio(d, *r.blockIO));
    }
    if (!r.hugepageLimits.empty()) {
        std::string d = TRY(need("hugetlb", "hugepageLimits"));
        TRY(v1::applyHugetlb(d, r.hugepageLimits));
    }
    if (!r.devices.empty()) {
        std::string d = TRY(need("devices", "devices"));
        TRY(v1::applyDevices(d, r.devices));
    }
    if (r.network) {
        // Optional controllers on most hosts: missing means nothing to do, not an error.
        if (r.network->classID) {
            if (has("net_cls")) {
                TRY(cgfs::write(dir("net_cls"), "net_cls.classid",
                                std::to_string(*r.network->classID)));
            } else {
                log::debug("net_cls not mounted; network.classID ignored");
            }
        }
        for (const auto& p : r.network->priorities) {
            if (!has("net_prio")) {
                log::debug("net_prio not mounted; network.priorities ignored");
                break;
            }
            TRY(cgfs::write(dir("net_prio"), "net_prio.ifpriomap",
                            fmt::format("{} {}", p.name, p.priority)));
        }
    }
    if (!r.rdma.empty()) log::debug("rdma limits are not supported; ignored");
    if (!r.unified.empty()) {
        return invalid("linux.resources.unified key {:?} needs cgroup v2, this host has v1",
                       r.unified.begin()->first);
    }
    return {};
}

Status V1Manager::freeze() {
    std::string d = TRY(need("freezer", "freeze"));
    std::string state;
    // The kernel can stay in FREEZING while tasks are in uninterruptible sleep; writing
    // FROZEN again retries the freeze.
    bool ok = cgfs::pollFor(2000, [&] {
        if (!cgfs::write(d, "freezer.state", "FROZEN")) return false;
        auto s = cgfs::readTrimmed(d, "freezer.state");
        state = s ? *s : "";
        return state == "FROZEN";
    });
    if (ok) return {};
    TRY(cgfs::write(d, "freezer.state", "FROZEN"));  // surfaces a write error, if any
    (void)thaw();
    return makeError(EBUSY, "freeze {}: still {} after 2s", d, state);
}

Status V1Manager::thaw() {
    std::string d = TRY(need("freezer", "thaw"));
    return cgfs::write(d, "freezer.state", "THAWED");
}

Result<FreezerState> V1Manager::freezerState() {
    std::string d = dir("freezer");
    if (d.empty()) return FreezerState::Thawed;  // without a freezer nothing is ever frozen
    std::string s = TRY(cgfs::readTrimmed(d, "freezer.state"));
    if (s == "FROZEN") return FreezerState::Frozen;
    if (s == "FREEZING") return FreezerState::Freezing;
    if (s == "THAWED") return FreezerState::Thawed;
    return invalid("{}/freezer.state: unknown state {:?}", d, s);
}

Result<std::vector<pid_t>> V1Manager::pids() {
    for (const char* c : {"pids", "devices", "freezer"}) {
        if (has(c)) return cgfs::readProcsRecursive(dir(c));
    }
    if (mounts_.empty()) return std::vector<pid_t>{};
    return cgfs::readProcsRecursive(mounts_.begin()->second + "/" + rel_);
}

Status V1Manager::killAll(int sig) {
    return killAllFrozen(*this, sig);
}

Status V1Manager::destroy() {
    Status first;
    for (const auto& d : hierarchyDirs()) {
        auto st = cgfs::removeCgroup(d);
        if (!st && first) first = std::move(st);  // try every hierarchy, report the first
    }
    return first;
}

Status killAllFrozen(Manager& m, int sig) {
    auto fr = m.freeze();
    if (!fr) log::debug("kill without freezing: {}", fr.error().str());
    auto pids = m.pids();
    if (!pids) {
        if (fr) (void)m.thaw();
        return std::move(pids).error().wrap("kill cgroup processes");
    }
    Status st;
    for (pid_t p : *pids) {
        if (::kill(p, sig) < 0 && errno != ESRCH && st) st = errnoError("kill {}", p);
    }
    if (fr) TRY(m.thaw());
    return st;
}

}  // namespace berth::cgroups
