// config.json "linux.resources" (also the standalone JSON of `update --resources`).
#include <limits>

#include "runtime/spec_json.h"

namespace berth::spec::detail {

namespace {

Status parseDeviceRules(const Json& v, const std::string& path, std::vector<DeviceRule>& out) {
    return forEachObject(v, "devices", path, [&](const Json& d, const std::string& p) -> Status {
        DeviceRule rule;
        TRY(require(d, "allow", p, rule.allow));
        TRY(read(d, "type", p, rule.type));
        if (!oneOf(rule.type, {"", "a", "c", "b"})) {
            return invalid("{}: unknown device type \"{}\" (expected a, c or b)", at(p, "type"),
                           rule.type);
        }
        TRY(read(d, "major", p, rule.major));
        TRY(read(d, "minor", p, rule.minor));
        TRY(read(d, "access", p, rule.access));
        if (rule.access.find_first_not_of("rwm") != std::string::npos) {
            return invalid("{}: \"{}\" is not a subset of \"rwm\"", at(p, "access"), rule.access);
        }
        out.push_back(std::move(rule));
        return {};
    });
}

Status parseMemory(const Json& v, const std::string& path, MemoryResources& m) {
    TRY(read(v, "limit", path, m.limit));
    TRY(read(v, "reservation", path, m.reservation));
    TRY(read(v, "swap", path, m.swap));
    TRY(read(v, "kernel", path, m.kernel));
    TRY(read(v, "kernelTCP", path, m.kernelTCP));
    TRY(read(v, "swappiness", path, m.swappiness));
    TRY(read(v, "disableOOMKiller", path, m.disableOOMKiller));
    TRY(read(v, "useHierarchy", path, m.useHierarchy));
    return read(v, "checkBeforeUpdate", path, m.checkBeforeUpdate);
}

Status parseCpu(const Json& v, const std::string& path, CpuResources& c) {
    TRY(read(v, "shares", path, c.shares));
    TRY(read(v, "quota", path, c.quota));
    // uint64 in the schema, int64 in our struct (cpu.max.burst is signed in the kernel API).
    std::optional<uint64_t> burst;
    TRY(read(v, "burst", path, burst));
    if (burst) {
        if (*burst > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return invalid("{}: {} is out of range (maximum {})", at(path, "burst"), *burst,
                           std::numeric_limits<int64_t>::max());
        }
        c.burst = static_cast<int64_t>(*burst);
    }
    TRY(read(v, "period", path, c.period));
    TRY(read(v, "realtimeRuntime", path, c.realtimeRuntime));
    TRY(read(v, "realtimePeriod", path, c.realtimePeriod));
    TRY(read(v, "cpus", path, c.cpus));
    TRY(read(v, "mems", path, c.mems));
    return read(v, "idle", path, c.idle);
}

Status parseBlockIoDevices(const Json& v, const char* key, const std::string& path, bool throttle,
                           std::vector<BlockIoDevice>& out) {
    return forEachObject(v, key, path, [&](const Json& d, const std::string& p) -> Status {
        BlockIoDevice dev;
        TRY(require(d, "major", p, dev.major));
        TRY(require(d, "minor", p, dev.minor));
        if (throttle) {
            TRY(read(d, "rate", p, dev.rate));
        } else {
            TRY(read(d, "weight", p, dev.weight));
            TRY(read(d, "leafWeight", p, dev.leafWeight));
        }
        out.push_back(dev);
        return {};
    });
}

Status parseBlockIo(const Json& v, const std::string& path, BlockIoResources& b) {
    TRY(read(v, "weight", path, b.weight));
    TRY(read(v, "leafWeight", path, b.leafWeight));
    TRY(parseBlockIoDevices(v, "weightDevice", path, false, b.weightDevice));
    TRY(parseBlockIoDevices(v, "throttleReadBpsDevice", path, true, b.throttleReadBpsDevice));
    TRY(parseBlockIoDevices(v, "throttleWriteBpsDevice", path, true, b.throttleWriteBpsDevice));
    TRY(parseBlockIoDevices(v, "throttleReadIOPSDevice", path, true, b.throttleReadIOPSDevice));
    return parseBlockIoDevices(v, "throttleWriteIOPSDevice", path, true, b.throttleWriteIOPSDevice);
}

// "^[1-9][0-9]*[KMG]B$" from the schema: the unit the hugetlb cgroup files are named with.
bool isPageSize(const std::string& s) {
    if (s.size() < 3 || s[0] < '1' || s[0] > '9') return false;
    if (s.back() != 'B' ||
        (s[s.size() - 2] != 'K' && s[s.size() - 2] != 'M' && s[s.size() - 2] != 'G')) {
        return false;
    }
    for (size_t i = 1; i + 2 < s.size(); i++) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
}

Status parseHugepages(const Json& v, const std::string& path, std::vector<HugepageLimit>& out) {
    return forEachObject(v, "hugepageLimits", path,
                         [&](const Json& h, const std::string& p) -> Status {
                             HugepageLimit l;
                             TRY(require(h, "pageSize", p, l.pageSize));
                             if (!isPageSize(l.pageSize)) {
                                 return invalid("{}: \"{}\" is not a page size like 2MB or 1GB",
                                                at(p, "pageSize"), l.pageSize);
                             }
                             TRY(require(h, "limit", p, l.limit));
                             out.push_back(std::move(l));
                             return {};
                         });
}

Status parseNetwork(const Json& v, const std::string& path, NetworkResources& n) {
    TRY(read(v, "classID", path, n.classID));
    return forEachObject(v, "priorities", path, [&](const Json& e, const std::string& p) -> Status {
        NetworkResources::Prio prio;
        TRY(require(e, "name", p, prio.name));
        TRY(require(e, "priority", p, prio.priority));
        n.priorities.push_back(std::move(prio));
        return {};
    });
}

Status parseRdma(const Json& v, const std::string& path, std::map<std::string, RdmaLimit>& out) {
    for (const auto& [device, limit] : v.items()) {
        std::string p = at(path, device);
        TRY(expectObject(limit, p));
        RdmaLimit l;
        TRY(read(limit, "hcaHandles", p, l.hcaHandles));
        TRY(read(limit, "hcaObjects", p, l.hcaObjects));
        out[device] = l;
    }
    return {};
}

}  // namespace

Status parseResourcesAt(const Json& v, const std::string& path, Resources& r) {
    TRY(parseDeviceRules(v, path, r.devices));
    if (const Json* m = TRY(object(v, "memory", path))) {
        TRY(parseMemory(*m, at(path, "memory"), r.memory.emplace()));
    }
    if (const Json* c = TRY(object(v, "cpu", path))) {
        TRY(parseCpu(*c, at(path, "cpu"), r.cpu.emplace()));
    }
    if (const Json* p = TRY(object(v, "pids", path))) {
        TRY(require(*p, "limit", at(path, "pids"), r.pids.emplace().limit));
    }
    if (const Json* b = TRY(object(v, "blockIO", path))) {
        TRY(parseBlockIo(*b, at(path, "blockIO"), r.blockIO.emplace()));
    }
    TRY(parseHugepages(v, path, r.hugepageLimits));
    if (const Json* n = TRY(object(v, "network", path))) {
        TRY(parseNetwork(*n, at(path, "network"), r.network.emplace()));
    }
    if (const Json* rd = TRY(object(v, "rdma", path))) {
        TRY(parseRdma(*rd, at(path, "rdma"), r.rdma));
    }
    return read(v, "unified", path, r.unified);
}

}  // namespace berth::spec::detail

namespace berth::spec {

Result<Resources> parseResources(std::string_view json) {
    detail::Json doc = TRY(detail::parseText(json, "resources"));
    if (!doc.is_object()) {
        return invalid("resources: expected object, got {}", detail::describe(doc));
    }
    Resources r;
    TRY(detail::parseResourcesAt(doc, "", r));
    return r;
}

}  // namespace berth::spec
