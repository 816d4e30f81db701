// config.json "process" (also the standalone process.json of `exec --process`).
#include <set>

#include "runtime/spec_json.h"

namespace berth::spec::detail {

namespace {

bool isAbsolute(const std::string& p) {
    return !p.empty() && p[0] == '/';
}

// "^RLIMIT_[A-Z]+$" from the schema.
bool isRlimitName(const std::string& s) {
    constexpr std::string_view kPrefix = "RLIMIT_";
    if (s.size() <= kPrefix.size() || s.compare(0, kPrefix.size(), kPrefix) != 0) return false;
    for (size_t i = kPrefix.size(); i < s.size(); i++) {
        if (s[i] < 'A' || s[i] > 'Z') return false;
    }
    return true;
}

// "^[0-9, -]*$" from the schema: a cpu list such as "0-3,7".
bool isCpuList(const std::string& s) {
    for (char c : s) {
        if (!(c >= '0' && c <= '9') && c != ',' && c != ' ' && c != '-') return false;
    }
    return true;
}

Status parseUser(const Json& v, const std::string& path, User& u) {
    TRY(read(v, "uid", path, u.uid));
    TRY(read(v, "gid", path, u.gid));
    TRY(read(v, "umask", path, u.umask));
    TRY(read(v, "additionalGids", path, u.additionalGids));
    return read(v, "username", path, u.username);
}

Status parseCapabilities(const Json& v, const std::string& path, Capabilities& c) {
    TRY(read(v, "bounding", path, c.bounding));
    TRY(read(v, "effective", path, c.effective));
    TRY(read(v, "inheritable", path, c.inheritable));
    TRY(read(v, "permitted", path, c.permitted));
    return read(v, "ambient", path, c.ambient);
}

Status parseRlimits(const Json& v, const std::string& path, std::vector<Rlimit>& out) {
    std::set<std::string> seen;
    return forEachObject(v, "rlimits", path, [&](const Json& r, const std::string& p) -> Status {
        Rlimit rl;
        TRY(require(r, "type", p, rl.type));
        if (!isRlimitName(rl.type)) {
            return invalid("{}: \"{}\" is not an rlimit name (RLIMIT_...)", at(p, "type"), rl.type);
        }
        TRY(require(r, "soft", p, rl.soft));
        TRY(require(r, "hard", p, rl.hard));
        if (rl.soft > rl.hard) {
            return invalid("{}: soft limit {} is above the hard limit {}", p, rl.soft, rl.hard);
        }
        // The spec makes duplicates an error rather than "last one wins".
        if (!seen.insert(rl.type).second) {
            return invalid("{}: duplicate rlimit type \"{}\"", at(path, "rlimits"), rl.type);
        }
        out.push_back(std::move(rl));
        return {};
    });
}

Status parseIoPriority(const Json& v, const std::string& path, IoPriority& io) {
    TRY(require(v, "class", path, io.ioClass));
    if (!oneOf(io.ioClass, {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"})) {
        return invalid("{}: unknown I/O priority class \"{}\"", at(path, "class"), io.ioClass);
    }
    return read(v, "priority", path, io.priority);
}

Status parseScheduler(const Json& v, const std::string& path, Scheduler& s) {
    TRY(require(v, "policy", path, s.policy));
    if (!oneOf(s.policy, {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO",
                          "SCHED_IDLE", "SCHED_DEADLINE"})) {
        return invalid("{}: unknown scheduler policy \"{}\"", at(path, "policy"), s.policy);
    }
    TRY(read(v, "nice", path, s.nice));
    TRY(read(v, "priority", path, s.priority));
    TRY(read(v, "flags", path, s.flags));
    for (size_t i = 0; i < s.flags.size(); i++) {
        if (!oneOf(s.flags[i],
                   {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
                    "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
                    "SCHED_FLAG_UTIL_CLAMP_MAX"})) {
            return invalid("{}: unknown scheduler flag \"{}\"", at(at(path, "flags"), i),
                           s.flags[i]);
        }
    }
    TRY(read(v, "runtime", path, s.runtime));
    TRY(read(v, "deadline", path, s.deadline));
    return read(v, "period", path, s.period);
}

Status parseCpuAffinity(const Json& v, const std::string& path, Process& p) {
    TRY(read(v, "initial", path, p.execCPUAffinityInitial));
    TRY(read(v, "final", path, p.execCPUAffinityFinal));
    if (!isCpuList(p.execCPUAffinityInitial)) {
        return invalid("{}: \"{}\" is not a cpu list", at(path, "initial"),
                       p.execCPUAffinityInitial);
    }
    if (!isCpuList(p.execCPUAffinityFinal)) {
        return invalid("{}: \"{}\" is not a cpu list", at(path, "final"), p.execCPUAffinityFinal);
    }
    return {};
}

}  // namespace

Status parseProcessAt(const Json& v, const std::string& path, Process& p) {
    TRY(read(v, "terminal", path, p.terminal));
    if (const Json* cs = TRY(object(v, "consoleSize", path))) {
        auto& size = p.consoleSize.emplace();
        TRY(require(*cs, "height", at(path, "consoleSize"), size.height));
        TRY(require(*cs, "width", at(path, "consoleSize"), size.width));
    }
    TRY(require(v, "cwd", path, p.cwd));
    if (!isAbsolute(p.cwd)) {
        return invalid("{}: must be an absolute path, got \"{}\"", at(path, "cwd"), p.cwd);
    }
    TRY(read(v, "env", path, p.env));
    // Optional only on Windows (with commandLine); execvp needs at least the file.
    TRY(require(v, "args", path, p.args));
    if (p.args.empty()) return invalid("{}: must not be empty", at(path, "args"));
    TRY(read(v, "commandLine", path, p.commandLine));
    if (const Json* u = TRY(object(v, "user", path))) TRY(parseUser(*u, at(path, "user"), p.user));
    if (const Json* c = TRY(object(v, "capabilities", path))) {
        TRY(parseCapabilities(*c, at(path, "capabilities"), p.capabilities.emplace()));
    }
    TRY(parseRlimits(v, path, p.rlimits));
    TRY(read(v, "noNewPrivileges", path, p.noNewPrivileges));
    TRY(read(v, "apparmorProfile", path, p.apparmorProfile));
    TRY(read(v, "oomScoreAdj", path, p.oomScoreAdj));
    TRY(read(v, "selinuxLabel", path, p.selinuxLabel));
    if (const Json* io = TRY(object(v, "ioPriority", path))) {
        TRY(parseIoPriority(*io, at(path, "ioPriority"), p.ioPriority.emplace()));
    }
    if (const Json* s = TRY(object(v, "scheduler", path))) {
        TRY(parseScheduler(*s, at(path, "scheduler"), p.scheduler.emplace()));
    }
    if (const Json* a = TRY(object(v, "execCPUAffinity", path))) {
        TRY(parseCpuAffinity(*a, at(path, "execCPUAffinity"), p));
    }
    return {};
}

}  // namespace berth::spec::detail
