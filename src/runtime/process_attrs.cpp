// Per-process attributes set in the container's init before execve.
#include "runtime/process_attrs.h"

#include <grp.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "common/sys.h"

namespace berth::attrs {

namespace {

template <typename T, size_t N>
std::optional<T> lookup(const std::array<std::pair<std::string_view, T>, N>& table,
                        std::string_view name) {
    for (const auto& [n, v] : table)
        if (n == name) return v;
    return std::nullopt;
}

constexpr std::array<std::pair<std::string_view, unsigned long>, 2> kDomains{{
    {"LINUX", PER_LINUX},
    {"LINUX32", PER_LINUX32},
}};
constexpr std::array<std::pair<std::string_view, unsigned long>, 11> kPersonaFlags{{
    {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
    {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},
    {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
    {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},
    {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},
    {"SHORT_INODE", SHORT_INODE},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},
    {"UNAME26", UNAME26},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
}};

// linux/ioprio.h values (the uapi header is missing on older systems).
constexpr int kIoprioClassShift = 13;
constexpr int kIoprioWhoProcess = 1;
constexpr std::array<std::pair<std::string_view, int>, 3> kIoClasses{{
    {"IOPRIO_CLASS_RT", 1},
    {"IOPRIO_CLASS_BE", 2},
    {"IOPRIO_CLASS_IDLE", 3},
}};

// SCHED_ISO is in the runtime-spec but was never merged into Linux (value 4).
constexpr std::array<std::pair<std::string_view, uint32_t>, 7> kPolicies{{
    {"SCHED_OTHER", 0},
    {"SCHED_FIFO", 1},
    {"SCHED_RR", 2},
    {"SCHED_BATCH", 3},
    {"SCHED_ISO", 4},
    {"SCHED_IDLE", 5},
    {"SCHED_DEADLINE", 6},
}};
constexpr std::array<std::pair<std::string_view, uint64_t>, 7> kSchedFlags{{
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},
    {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},
    {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},
    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
}};

// struct sched_attr (SCHED_ATTR_SIZE_VER1); glibc 2.36 does not declare it.
struct SchedAttr {
    uint32_t size;
    uint32_t policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t utilMin, utilMax;
};

Result<unsigned long> persona(const spec::Personality& p) {
    auto d = lookup(kDomains, p.domain);
    if (!d) return invalid("linux.personality.domain: unknown domain \"{}\"", p.domain);
    unsigned long v = *d;
    for (size_t i = 0; i < p.flags.size(); ++i) {
        auto f = lookup(kPersonaFlags, p.flags[i]);
        if (!f) return invalid("linux.personality.flags[{}]: unknown flag \"{}\"", i, p.flags[i]);
        v |= *f;
    }
    return v;
}

Result<int> ioprio(const spec::IoPriority& p) {
    auto c = lookup(kIoClasses, p.ioClass);
    if (!c) return invalid("process.ioPriority.class: unknown class \"{}\"", p.ioClass);
    if (p.priority < 0 || p.priority > 7)
        return invalid("process.ioPriority.priority: {} is out of range (0-7)", p.priority);
    return (*c << kIoprioClassShift) | p.priority;
}

Result<SchedAttr> schedAttr(const spec::Scheduler& s) {
    auto pol = lookup(kPolicies, s.policy);
    if (!pol) return invalid("process.scheduler.policy: unknown policy \"{}\"", s.policy);
    if (s.policy == "SCHED_ISO")
        return invalid("process.scheduler.policy: SCHED_ISO is not supported by Linux");
    SchedAttr a = {};
    a.size = sizeof a;
    a.policy = *pol;
    for (size_t i = 0; i < s.flags.size(); ++i) {
        auto f = lookup(kSchedFlags, s.flags[i]);
        if (!f) return invalid("process.scheduler.flags[{}]: unknown flag \"{}\"", i, s.flags[i]);
        a.flags |= *f;
    }
    if (s.nice < -20 || s.nice > 19)
        return invalid("process.scheduler.nice: {} is out of range (-20..19)", s.nice);
    bool rt = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
    if (rt && (s.priority < 1 || s.priority > 99))
        return invalid("process.scheduler.priority: {} is out of range (1-99) for {}", s.priority,
                       s.policy);
    if (!rt && s.priority != 0)
        return invalid("process.scheduler.priority: must be 0 for {}", s.policy);
    if (s.policy == "SCHED_DEADLINE" &&
        (s.runtime == 0 || s.runtime > s.deadline || (s.period && s.deadline > s.period)))
        return invalid(
            "process.scheduler: SCHED_DEADLINE needs 0 < runtime <= deadline <= "
            "period (period 0 means deadline)");
    a.nice = s.nice;
    a.priority = static_cast<uint32_t>(s.priority);
    a.runtime = s.runtime;
    a.deadline = s.deadline;
    a.period = s.period;
    return a;
}

bool setgroupsDenied() {
    auto s = sys::readFile("/proc/self/setgroups");
    return s && s->rfind("deny", 0) == 0;
}

}  // namespace

Status validate(const spec::Process& p, const spec::Linux* linux) {
    TRY(validateRlimits(p.rlimits));
    if (p.oomScoreAdj && (*p.oomScoreAdj < -1000 || *p.oomScoreAdj > 1000))
        return invalid("process.oomScoreAdj: {} is out of range (-1000..1000)", *p.oomScoreAdj);
    if (p.ioPriority) TRY(ioprio(*p.ioPriority));
    if (p.scheduler) TRY(schedAttr(*p.scheduler));
    if (!p.execCPUAffinityInitial.empty())
        TRY(parseCpuList(p.execCPUAffinityInitial, "process.execCPUAffinity.initial"));
    if (!p.execCPUAffinityFinal.empty())
        TRY(parseCpuList(p.execCPUAffinityFinal, "process.execCPUAffinity.final"));
    if (linux && linux->personality) TRY(persona(*linux->personality));
    return okStatus();
}

Result<UniqueFd> openProcFile(const std::string& relPath, int flags) {
    UniqueFd proc = TRY(sys::open("/proc", O_PATH | O_DIRECTORY));
    struct statfs fs;
    struct stat st;
    if (fstatfs(proc.get(), &fs) < 0 || fstat(proc.get(), &st) < 0) return errnoError("stat /proc");
    // The root of a procfs (inode 1), not some other fs or a bind mount of a proc subtree.
    if (fs.f_type != PROC_SUPER_MAGIC || st.st_ino != 1)
        return makeError(EXDEV, "/proc is not the root of a procfs");

    std::string rel = relPath;
    for (std::string_view link : {"self", "thread-self"}) {
        if (rel != link && rel.rfind(std::string(link) + "/", 0) != 0) continue;
        char buf[64];
        ssize_t n = readlinkat(proc.get(), std::string(link).c_str(), buf, sizeof buf - 1);
        if (n < 0) return errnoError("readlink /proc/{}", link);
        rel = std::string(buf, static_cast<size_t>(n)) + rel.substr(link.size());
        break;
    }
    uint64_t resolve =
        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    UniqueFd fd = TRY_CTX(sys::openat2(proc.get(), rel, static_cast<uint64_t>(flags), resolve),
                          "/proc/{}", relPath);
    if (fstatfs(fd.get(), &fs) < 0) return errnoError("statfs /proc/{}", relPath);
    if (fs.f_type != PROC_SUPER_MAGIC)
        return makeError(EXDEV, "/proc/{} is not on procfs (f_type {:#x})", relPath,
                         static_cast<unsigned long>(fs.f_type));
    return fd;
}

Status applyOomScoreAdj(int adj) {
    UniqueFd fd = TRY(openProcFile("self/oom_score_adj", O_WRONLY));
    TRY_CTX(sys::writeFd(fd.get(), std::to_string(adj)), "writing {} to /proc/self/oom_score_adj",
            adj);
    return okStatus();
}

Status applyPersonality(const spec::Personality& p) {
    unsigned long v = TRY(persona(p));
    if (personality(v) < 0) return errnoError("personality({:#x})", v);
    return okStatus();
}

Status applyIoPriority(const spec::IoPriority& p) {
    int v = TRY(ioprio(p));
    if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, v) < 0)
        return errnoError("ioprio_set {} {}", p.ioClass, p.priority);
    return okStatus();
}

Status applyScheduler(const spec::Scheduler& s) {
    SchedAttr a = TRY(schedAttr(s));
    if (::syscall(SYS_sched_setattr, 0, &a, 0) < 0)
        return errnoError("sched_setattr {} (nice {}, priority {})", s.policy, s.nice, s.priority);
    return okStatus();
}

Result<std::vector<int>> parseCpuList(const std::string& list, std::string_view field) {
    std::vector<int> out;
    auto bad = [&] { return invalid("{}: invalid CPU list \"{}\"", field, list); };
    auto num = [](std::string_view s, int& v) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && p == s.data() + s.size() && !s.empty() && v >= 0;
    };
    std::string_view rest = list;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (comma != std::string_view::npos && rest.empty()) return bad();  // trailing comma
        int lo = 0, hi = 0;
        size_t dash = item.find('-');
        if (dash == std::string_view::npos) {
            if (!num(item, lo)) return bad();
            hi = lo;
        } else if (!num(item.substr(0, dash), lo) || !num(item.substr(dash + 1), hi) || hi < lo) {
            return bad();
        }
        if (hi >= 65536) return invalid("{}: CPU {} is out of range", field, hi);
        for (int c = lo; c <= hi; ++c) out.push_back(c);
    }
    if (out.empty()) return bad();
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Status applyCpuAffinity(const std::string& cpuList) {
    std::vector<int> cpus = TRY(parseCpuList(cpuList));
    int n = cpus.back() + 1;
    cpu_set_t* set = CPU_ALLOC(n);
    if (!set) return errnoError("CPU_ALLOC");
    size_t size = CPU_ALLOC_SIZE(n);
    CPU_ZERO_S(size, set);
    for (int c : cpus) CPU_SET_S(c, size, set);
    int rc = sched_setaffinity(0, size, set);
    int err = errno;
    CPU_FREE(set);
    if (rc < 0) return makeError(err, "sched_setaffinity {}", cpuList);
    return okStatus();
}

Status applyNoNewPrivileges() {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return errnoError("prctl(PR_SET_NO_NEW_PRIVS)");
    return okStatus();
}

Status applyUser(const spec::User& u) {
    // In a user namespace whose setgroups is "deny" (rootless), setgroups always fails.
    if (!setgroupsDenied()) {
        std::vector<gid_t> gids(u.additionalGids.begin(), u.additionalGids.end());
        if (setgroups(gids.size(), gids.data()) < 0)
            return errnoError("setgroups({} groups)", gids.size());
    }
    if (setresgid(u.gid, u.gid, u.gid) < 0) return errnoError("setresgid {}", u.gid);
    if (setresuid(u.uid, u.uid, u.uid) < 0) return errnoError("setresuid {}", u.uid);
    if (u.umask) umask(static_cast<mode_t>(*u.umask));
    return okStatus();
}

}  // namespace berth::attrs
