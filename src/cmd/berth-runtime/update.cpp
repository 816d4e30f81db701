#include "common/sys.h"
#include "commands.h"

namespace berth::cli {

namespace {

// "256m", "1G", "1048576", "-1" (unlimited) -> bytes, as runc's RAMInBytes reads them.
Result<int64_t> parseBytes(const std::string& flag, const std::string& s) {
    if (s == "-1") return int64_t{-1};
    char* end;
    double v = strtod(s.c_str(), &end);
    if (end == s.c_str() || v < 0) return invalid("--{}: invalid size \"{}\"", flag, s);
    std::string unit = end;
    for (auto& c : unit) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (unit.ends_with("ib")) unit.erase(unit.size() - 2, 1);  // "mib" -> "mb"
    if (unit.ends_with("b") && unit.size() > 1) unit.pop_back();
    double mul = 1;
    if (unit.empty() || unit == "b") {
        mul = 1;
    } else if (unit == "k") {
        mul = 1024.0;
    } else if (unit == "m") {
        mul = 1024.0 * 1024;
    } else if (unit == "g") {
        mul = 1024.0 * 1024 * 1024;
    } else if (unit == "t") {
        mul = 1024.0 * 1024 * 1024 * 1024;
    } else {
        return invalid("--{}: invalid size unit in \"{}\"", flag, s);
    }
    return static_cast<int64_t>(v * mul);
}

}  // namespace

void addUpdate(CLI::App& app, Context& ctx) {
    struct Opts {
        std::string id, resources, memory, memoryReservation, memorySwap, cpusetCpus, cpusetMems;
        std::optional<uint64_t> cpuPeriod, cpuShare, cpuRtPeriod, blkioWeight;
        std::optional<int64_t> cpuQuota, cpuBurst, cpuRtRuntime, pidsLimit;
        std::string l3, memBw;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("update", "change the resource limits of a running container");
    cmd->add_option("-r,--resources", o->resources, "JSON file (linux.resources form), - for stdin");
    cmd->add_option("--blkio-weight", o->blkioWeight, "block IO weight (10-1000)");
    cmd->add_option("--cpu-period", o->cpuPeriod, "CPU CFS period (us)");
    cmd->add_option("--cpu-quota", o->cpuQuota, "CPU CFS quota (us)");
    cmd->add_option("--cpu-burst", o->cpuBurst, "CPU CFS burst (us)");
    cmd->add_option("--cpu-share", o->cpuShare, "CPU shares (relative weight)");
    cmd->add_option("--cpu-rt-period", o->cpuRtPeriod, "CPU realtime period (us)");
    cmd->add_option("--cpu-rt-runtime", o->cpuRtRuntime, "CPU realtime runtime (us)");
    cmd->add_option("--cpuset-cpus", o->cpusetCpus, "CPUs allowed (0-3, 0,1)");
    cmd->add_option("--cpuset-mems", o->cpusetMems, "memory nodes allowed");
    cmd->add_option("--memory", o->memory, "memory limit (e.g. 256m)");
    cmd->add_option("--memory-reservation", o->memoryReservation, "memory soft limit");
    cmd->add_option("--memory-swap", o->memorySwap, "memory+swap limit (-1: unlimited)");
    cmd->add_option("--pids-limit", o->pidsLimit, "maximum number of tasks");
    cmd->add_option("--l3-cache-schema", o->l3, "Intel RDT (unsupported)");
    cmd->add_option("--mem-bw-schema", o->memBw, "Intel RDT (unsupported)");
    cmd->add_option("id", o->id, "container id")->required();
    cmd->callback([&ctx, o] {
        spec::Resources r;
        if (!o->resources.empty()) {
            auto text = o->resources == "-" ? sys::readFd(0) : sys::readFile(o->resources);
            if (!text) return ctx.fail(text.error().wrap("--resources"));
            auto parsed = spec::parseResources(*text);
            if (!parsed) return ctx.fail(parsed.error().wrap("--resources"));
            r = std::move(*parsed);
        }
        if (!o->l3.empty() || !o->memBw.empty()) {
            return ctx.fail(invalid("update: Intel RDT is not supported on this host"));
        }
        auto setMem = [&](const std::string& flag, const std::string& v,
                          std::optional<int64_t> spec::MemoryResources::*field) -> bool {
            if (v.empty()) return true;
            auto b = parseBytes(flag, v);
            if (!b) {
                ctx.fail(b.error());
                return false;
            }
            if (!r.memory) r.memory = spec::MemoryResources{};
            (*r.memory).*field = *b;
            return true;
        };
        if (!setMem("memory", o->memory, &spec::MemoryResources::limit) ||
            !setMem("memory-reservation", o->memoryReservation,
                    &spec::MemoryResources::reservation) ||
            !setMem("memory-swap", o->memorySwap, &spec::MemoryResources::swap)) {
            return;
        }
        auto cpu = [&]() -> spec::CpuResources& {
            if (!r.cpu) r.cpu = spec::CpuResources{};
            return *r.cpu;
        };
        if (o->cpuPeriod) cpu().period = o->cpuPeriod;
        if (o->cpuQuota) cpu().quota = o->cpuQuota;
        if (o->cpuBurst) cpu().burst = o->cpuBurst;
        if (o->cpuShare) cpu().shares = o->cpuShare;
        if (o->cpuRtPeriod) cpu().realtimePeriod = o->cpuRtPeriod;
        if (o->cpuRtRuntime) cpu().realtimeRuntime = o->cpuRtRuntime;
        if (!o->cpusetCpus.empty()) cpu().cpus = o->cpusetCpus;
        if (!o->cpusetMems.empty()) cpu().mems = o->cpusetMems;
        if (o->pidsLimit) r.pids = spec::PidsResources{o->pidsLimit};
        if (o->blkioWeight) {
            if (!r.blockIO) r.blockIO = spec::BlockIoResources{};
            r.blockIO->weight = static_cast<uint16_t>(*o->blkioWeight);
        }
        ctx.check(runtime::update(ctx.g, o->id, r));
    });
}

}  // namespace berth::cli
