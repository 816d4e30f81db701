// process.rlimits: checked in the runtime, applied in the container's init.
#include <sys/capability.h>
#include <sys/resource.h>

#include <array>
#include <optional>
#include <set>

#include "runtime/process_attrs.h"

namespace berth::attrs {

namespace {

// glibc types the resource as an enum under _GNU_SOURCE (always on for g++).
using Resource = __rlimit_resource_t;

constexpr std::array<std::pair<std::string_view, Resource>, 16> kRlimits{{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

std::optional<Resource> resourceOf(const std::string& name) {
    for (const auto& [n, r] : kRlimits)
        if (n == name) return r;
    return std::nullopt;
}

std::string limitStr(uint64_t v) {
    return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

// Raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace, so the runtime's
// own effective set is what counts, even for a container with a user namespace.
bool hasSysResource() {
    cap_t c = cap_get_proc();
    if (!c) return false;
    cap_flag_value_t v = CAP_CLEAR;
    bool ok = cap_get_flag(c, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET;
    cap_free(c);
    return ok;
}

}  // namespace

Status validateRlimits(const std::vector<spec::Rlimit>& r) {
    std::set<std::string> seen;
    bool privileged = hasSysResource();
    for (size_t i = 0; i < r.size(); ++i) {
        const spec::Rlimit& l = r[i];
        auto res = resourceOf(l.type);
        if (!res) return invalid("process.rlimits[{}].type: unknown rlimit \"{}\"", i, l.type);
        if (!seen.insert(l.type).second)
            return invalid("process.rlimits[{}]: {} is set more than once", i, l.type);
        if (l.soft > l.hard)
            return invalid("process.rlimits[{}]: {} soft limit {} is above the hard limit {}", i,
                           l.type, limitStr(l.soft), limitStr(l.hard));
        if (privileged) continue;
        struct rlimit cur;
        if (getrlimit(*res, &cur) < 0) return errnoError("process.rlimits[{}]: getrlimit", i);
        if (cur.rlim_max != RLIM_INFINITY && l.hard > cur.rlim_max)
            return invalid(
                "process.rlimits[{}]: {} hard limit {} is above the current hard "
                "limit {} (raising it needs CAP_SYS_RESOURCE)",
                i, l.type, limitStr(l.hard), limitStr(cur.rlim_max));
    }
    return okStatus();
}

Status applyRlimits(const std::vector<spec::Rlimit>& r) {
    for (const spec::Rlimit& l : r) {
        auto res = resourceOf(l.type);
        if (!res) return invalid("unknown rlimit \"{}\"", l.type);
        struct rlimit v = {l.soft, l.hard};
        if (setrlimit(*res, &v) < 0)
            return errnoError("setting {} to soft {} hard {}", l.type, limitStr(l.soft),
                              limitStr(l.hard));
    }
    return okStatus();
}

}  // namespace berth::attrs
