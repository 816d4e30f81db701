// `berth update`: change the resource limits and restart policy of running containers.
#include <cmath>

#include <nlohmann/json.hpp>

#include "cli/units.h"
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

namespace {

using nlohmann::json;

Result<json> restartPolicy(const std::string& s) {
    json p = json::object();
    auto colon = s.find(':');
    std::string name = s.substr(0, colon);
    p["Name"] = name;
    if (colon != std::string::npos) {
        if (name != "on-failure")
            return invalid(
                "invalid restart policy format: maximum retry count can only be used "
                "with 'on-failure'");
        std::string n = s.substr(colon + 1);
        char* end = nullptr;
        long v = std::strtol(n.c_str(), &end, 10);
        if (n.empty() || *end)
            return invalid(
                "invalid restart policy format: maximum retry count must be an "
                "integer");
        p["MaximumRetryCount"] = v;
    }
    return p;
}

Result<json> updateBody(const Flags& f) {
    json b = json::object();
    auto bytes = [&](const char* flag, const char* field, bool allowMinus1) -> Status {
        if (!f.changed(flag)) return okStatus();
        const std::string& v = f.s(flag);
        if (allowMinus1 && v == "-1") {
            b[field] = -1;
            return okStatus();
        }
        auto n = parseBytes(v);
        if (!n)
            return invalid("invalid argument \"{}\" for \"--{}\" flag: {}", v, flag, n.error().msg);
        b[field] = *n;
        return okStatus();
    };
    TRY(bytes("memory", "Memory", false));
    TRY(bytes("memory-reservation", "MemoryReservation", false));
    TRY(bytes("memory-swap", "MemorySwap", true));
    if (f.changed("cpu-shares")) b["CpuShares"] = f.i("cpu-shares");
    if (f.changed("cpu-period")) b["CpuPeriod"] = f.i("cpu-period");
    if (f.changed("cpu-quota")) b["CpuQuota"] = f.i("cpu-quota");
    if (f.changed("cpu-rt-period")) b["CpuRealtimePeriod"] = f.i("cpu-rt-period");
    if (f.changed("cpu-rt-runtime")) b["CpuRealtimeRuntime"] = f.i("cpu-rt-runtime");
    if (f.changed("cpuset-cpus")) b["CpusetCpus"] = f.s("cpuset-cpus");
    if (f.changed("cpuset-mems")) b["CpusetMems"] = f.s("cpuset-mems");
    if (f.changed("cpus")) b["NanoCpus"] = std::llround(f.f("cpus") * 1e9);
    if (f.changed("blkio-weight")) {
        uint64_t w = f.u("blkio-weight");
        if (w > 65535)
            return invalid(
                "invalid argument \"{}\" for \"--blkio-weight\" flag: value out of "
                "range",
                w);
        b["BlkioWeight"] = w;
    }
    if (f.changed("pids-limit")) b["PidsLimit"] = f.i("pids-limit");
    if (f.changed("restart")) b["RestartPolicy"] = TRY(restartPolicy(f.s("restart")));
    return b;
}

}  // namespace

Command cmdUpdate() {
    Command c;
    c.name = "update";
    c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
    c.shortHelp = "Update configuration of one or more containers";
    c.minArgs = 1;
    c.flags = [](Flags& f) {
        f.uinteger("blkio-weight", 0, 0,
                   "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
                   "uint16");
        f.integer("cpu-period", 0, 0, "Limit CPU CFS (Completely Fair Scheduler) period");
        f.integer("cpu-quota", 0, 0, "Limit CPU CFS (Completely Fair Scheduler) quota");
        f.integer("cpu-rt-period", 0, 0, "Limit the CPU real-time period in microseconds");
        f.integer("cpu-rt-runtime", 0, 0, "Limit the CPU real-time runtime in microseconds");
        f.integer("cpu-shares", 'c', 0, "CPU shares (relative weight)");
        f.decimal("cpus", 0, "", "Number of CPUs");
        f.string("cpuset-cpus", 0, "", "CPUs in which to allow execution (0-3, 0,1)");
        f.string("cpuset-mems", 0, "", "MEMs in which to allow execution (0-3, 0,1)");
        f.string("memory", 'm', "", "Memory limit", "bytes");
        f.string("memory-reservation", 0, "", "Memory soft limit", "bytes");
        f.string("memory-swap", 0, "",
                 "Swap limit equal to memory plus swap: -1 to enable unlimited swap", "bytes");
        f.integer("pids-limit", 0, 0, "Tune container pids limit (set -1 for unlimited)");
        f.string("restart", 0, "", "Restart policy to apply when a container exits");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        bool any = false;
        for (auto& d : f.defs())
            if (f.changed(d.name)) any = true;
        if (!any) return invalid("you must provide one or more flags when using this command");
        json body = TRY(updateBody(f));
        std::string warnings;
        int rc = TRY(forEach(ctx, f.args(), true, [&](const std::string& n) -> Status {
            auto r = TRY(apiPost(ctx, sysContainerPath(n) + "/update", body));
            if (r.is_object() && r.contains("Warnings") && r["Warnings"].is_array())
                for (auto& w : r["Warnings"])
                    if (w.is_string()) warnings += w.get<std::string>() + "\n";
            return okStatus();
        }));
        ctx.err(warnings);
        return rc;
    };
    return c;
}

}  // namespace berth::cli
