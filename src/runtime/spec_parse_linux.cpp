// config.json "linux": namespaces, id mappings, time offsets, devices and the smaller fields.
// Resources and seccomp have their own files.
#include <set>

#include "runtime/spec_json.h"

namespace berth::spec::detail {

namespace {

bool isAbsolute(const std::string& p) {
    return !p.empty() && p[0] == '/';
}

Status parseNamespaces(const Json& v, const std::string& path, std::vector<Namespace>& out) {
    std::set<std::string> seen;
    return forEachObject(v, "namespaces", path, [&](const Json& n, const std::string& p) -> Status {
        Namespace ns;
        TRY(require(n, "type", p, ns.type));
        if (!oneOf(ns.type, {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"})) {
            return invalid("{}: unknown namespace type \"{}\"", at(p, "type"), ns.type);
        }
        TRY(read(n, "path", p, ns.path));
        if (!ns.path.empty() && !isAbsolute(ns.path)) {
            return invalid("{}: must be an absolute path, got \"{}\"", at(p, "path"), ns.path);
        }
        if (!seen.insert(ns.type).second) {
            return invalid("{}: duplicate namespace type \"{}\"", at(path, "namespaces"), ns.type);
        }
        out.push_back(std::move(ns));
        return {};
    });
}

Status parseTimeOffsets(const Json& v, const std::string& path, Linux& out) {
    for (const auto& [clock, offset] : v.items()) {
        std::string p = at(path, clock);
        // Only these two clocks can be offset (time_namespaces(7)); ignoring another would
        // silently run the container with the wrong clock.
        if (!oneOf(clock, {"monotonic", "boottime"})) {
            return invalid("{}: unknown clock \"{}\" (expected monotonic or boottime)", path,
                           clock);
        }
        if (offset.is_null()) continue;
        TRY(expectObject(offset, p));
        int64_t secs = 0;
        uint32_t nanosecs = 0;
        TRY(read(offset, "secs", p, secs));
        TRY(read(offset, "nanosecs", p, nanosecs));
        if (nanosecs >= 1000000000) {
            return invalid("{}: {} is not below one second (1000000000)", at(p, "nanosecs"),
                           nanosecs);
        }
        out.timeOffsetsSecs[clock] = secs;
        out.timeOffsetsNanosecs[clock] = nanosecs;
    }
    return {};
}

Status parseDevices(const Json& v, const std::string& path, std::vector<Device>& out) {
    return forEachObject(v, "devices", path, [&](const Json& d, const std::string& p) -> Status {
        Device dev;
        TRY(require(d, "type", p, dev.type));
        if (!oneOf(dev.type, {"c", "b", "u", "p"})) {
            return invalid("{}: unknown device type \"{}\" (expected c, b, u or p)", at(p, "type"),
                           dev.type);
        }
        TRY(require(d, "path", p, dev.path));
        if (!isAbsolute(dev.path)) {
            return invalid("{}: must be an absolute path, got \"{}\"", at(p, "path"), dev.path);
        }
        // A fifo has no device number; every other node needs both.
        if (dev.type == "p") {
            TRY(read(d, "major", p, dev.major));
            TRY(read(d, "minor", p, dev.minor));
        } else {
            TRY(require(d, "major", p, dev.major));
            TRY(require(d, "minor", p, dev.minor));
        }
        TRY(read(d, "fileMode", p, dev.fileMode));
        TRY(read(d, "uid", p, dev.uid));
        TRY(read(d, "gid", p, dev.gid));
        out.push_back(std::move(dev));
        return {};
    });
}

// Not kept in Linux (no field yet): checked so a wrongly typed value is still reported.
Status checkNetDevices(const Json& v, const std::string& path) {
    for (const auto& [name, dev] : v.items()) {
        std::string p = at(path, name);
        if (dev.is_null()) continue;
        TRY(expectObject(dev, p));
        std::string newName;
        TRY(read(dev, "name", p, newName));
    }
    return {};
}

Status checkMemoryPolicy(const Json& v, const std::string& path) {
    std::string mode, nodes;
    std::vector<std::string> flags;
    TRY(read(v, "mode", path, mode));
    TRY(read(v, "nodes", path, nodes));
    TRY(read(v, "flags", path, flags));
    if (!mode.empty() &&
        !oneOf(mode, {"MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
                      "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"})) {
        return invalid("{}: unknown memory policy mode \"{}\"", at(path, "mode"), mode);
    }
    return {};
}

Status parsePersonality(const Json& v, const std::string& path, Personality& out) {
    TRY(require(v, "domain", path, out.domain));
    if (!oneOf(out.domain, {"LINUX", "LINUX32"})) {
        return invalid("{}: unknown personality domain \"{}\" (expected LINUX or LINUX32)",
                       at(path, "domain"), out.domain);
    }
    return read(v, "flags", path, out.flags);
}

Status parseIntelRdt(const Json& v, const std::string& path, IntelRdt& out) {
    TRY(read(v, "closID", path, out.closID));
    TRY(read(v, "l3CacheSchema", path, out.l3CacheSchema));
    TRY(read(v, "memBwSchema", path, out.memBwSchema));
    std::vector<std::string> schemata;
    bool monitoring = false;
    TRY(read(v, "schemata", path, schemata));
    return read(v, "enableMonitoring", path, monitoring);
}

}  // namespace

Status parseLinuxAt(const Json& v, const std::string& path, Linux& out) {
    TRY(parseNamespaces(v, path, out.namespaces));
    TRY(parseIdMappings(v, "uidMappings", path, out.uidMappings));
    TRY(parseIdMappings(v, "gidMappings", path, out.gidMappings));
    if (const Json* t = TRY(object(v, "timeOffsets", path))) {
        TRY(parseTimeOffsets(*t, at(path, "timeOffsets"), out));
    }
    TRY(parseDevices(v, path, out.devices));
    if (const Json* n = TRY(object(v, "netDevices", path))) {
        TRY(checkNetDevices(*n, at(path, "netDevices")));
    }
    TRY(read(v, "cgroupsPath", path, out.cgroupsPath));
    if (const Json* r = TRY(object(v, "resources", path))) {
        TRY(parseResourcesAt(*r, at(path, "resources"), out.resources.emplace()));
    }
    TRY(read(v, "rootfsPropagation", path, out.rootfsPropagation));
    // The schema lists four; runc also takes the recursive forms, and podman writes them.
    if (!out.rootfsPropagation.empty() &&
        !oneOf(out.rootfsPropagation, {"private", "rprivate", "shared", "rshared", "slave",
                                       "rslave", "unbindable", "runbindable"})) {
        return invalid("{}: unknown propagation \"{}\"", at(path, "rootfsPropagation"),
                       out.rootfsPropagation);
    }
    if (const Json* s = TRY(object(v, "seccomp", path))) {
        TRY(parseSeccompAt(*s, at(path, "seccomp"), out.seccomp.emplace()));
    }
    TRY(read(v, "sysctl", path, out.sysctl));
    TRY(read(v, "maskedPaths", path, out.maskedPaths));
    TRY(read(v, "readonlyPaths", path, out.readonlyPaths));
    TRY(read(v, "mountLabel", path, out.mountLabel));
    if (const Json* p = TRY(object(v, "personality", path))) {
        TRY(parsePersonality(*p, at(path, "personality"), out.personality.emplace()));
    }
    if (const Json* r = TRY(object(v, "intelRdt", path))) {
        TRY(parseIntelRdt(*r, at(path, "intelRdt"), out.intelRdt.emplace()));
    }
    if (const Json* m = TRY(object(v, "memoryPolicy", path))) {
        TRY(checkMemoryPolicy(*m, at(path, "memoryPolicy")));
    }
    return {};
}

}  // namespace berth::spec::detail
