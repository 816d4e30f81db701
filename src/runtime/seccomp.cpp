// Seccomp profile -> libseccomp filter: name checks, rule building, loading.
#include "runtime/seccomp.h"

#include <linux/filter.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <memory>

#include "common/log.h"
#include "common/sys.h"

namespace berth::seccomp {

namespace {

constexpr uint32_t kMaxArgs = 6;  // a Linux syscall has at most six arguments

struct Flags {
    bool tsync = false, log = false, specAllow = false, waitKillable = false;
};

struct CtxDeleter {
    void operator()(void* c) const { seccomp_release(c); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

struct Filter {
    Ctx ctx;
    Flags flags;
    bool notify = false;  // a NOTIFY rule made it into the filter
};

Result<uint32_t> parseAction(const std::string& name, std::optional<uint32_t> errnoRet,
                             std::string_view field) {
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
    if (name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE") {
        // The kernel keeps 16 bits of data; a larger value would silently wrap.
        uint32_t v = errnoRet.value_or(EPERM);
        if (v > 0xffff) return invalid("{}: errnoRet {} is out of range (0-65535)", field, v);
        return name == "SCMP_ACT_ERRNO" ? SCMP_ACT_ERRNO(v) : SCMP_ACT_TRACE(v);
    }
    if (name.empty()) return invalid("{}: missing action", field);
    return invalid("{}: unknown action \"{}\"", field, name);
}

Result<scmp_compare> parseOp(const std::string& op, std::string_view field) {
    static constexpr std::array<std::pair<std::string_view, scmp_compare>, 7> kOps{{
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    }};
    for (const auto& [n, v] : kOps)
        if (n == op) return v;
    return invalid("{}: unknown operator \"{}\"", field, op);
}

Result<uint32_t> parseArch(const std::string& name, std::string_view field) {
    // The runtime-spec names; libseccomp spells them lowercase without the prefix.
    static constexpr std::array<std::string_view, 23> kOci{
        "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
        "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
        "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64"};
    bool known = false;
    for (auto n : kOci) known = known || n == name;
    if (!known) return invalid("{}: unknown architecture \"{}\"", field, name);
    std::string token = name.substr(std::string_view("SCMP_ARCH_").size());
    for (char& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint32_t arch = seccomp_arch_resolve_name(token.c_str());
    if (arch == 0) {
        const scmp_version* v = seccomp_version();
        return invalid("{}: architecture {} is not supported by libseccomp {}.{}.{}", field, name,
                       v->major, v->minor, v->micro);
    }
    return arch;
}

Result<Flags> parseFlags(const std::vector<std::string>& names) {
    Flags f;
    for (size_t i = 0; i < names.size(); ++i) {
        const std::string& n = names[i];
        if (n == "SECCOMP_FILTER_FLAG_TSYNC")
            f.tsync = true;
        else if (n == "SECCOMP_FILTER_FLAG_LOG")
            f.log = true;
        else if (n == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
            f.specAllow = true;
        else if (n == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
            f.waitKillable = true;
        else
            return invalid("linux.seccomp.flags[{}]: unknown flag \"{}\"", i, n);
    }
    return f;
}

Status setAttr(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t v, std::string_view what) {
    int rc = seccomp_attr_set(ctx, attr, v);
    if (rc < 0) return makeError(-rc, "seccomp: setting {}", what);
    return okStatus();
}

// Adds the rules of syscalls[i]. Conditions on distinct arguments combine as AND in one rule;
// when one argument index repeats, each condition becomes its own rule (OR), as runc does, since
// libseccomp cannot AND two comparisons of the same argument.
Status addRules(scmp_filter_ctx ctx, const spec::SeccompSyscall& sc, size_t i, uint32_t defAct,
                bool warn, bool& notify) {
    std::string field = fmt::format("linux.seccomp.syscalls[{}]", i);
    uint32_t act = TRY(parseAction(sc.action, sc.errnoRet, field + ".action"));
    std::vector<scmp_arg_cmp> conds;
    std::array<int, kMaxArgs> perIndex{};
    bool repeated = false;
    for (size_t j = 0; j < sc.args.size(); ++j) {
        const spec::SeccompArg& a = sc.args[j];
        std::string af = fmt::format("{}.args[{}]", field, j);
        scmp_compare op = TRY(parseOp(a.op, af + ".op"));
        if (a.index >= kMaxArgs) return invalid("{}.index: {} is out of range (0-5)", af, a.index);
        repeated = repeated || ++perIndex[a.index] > 1;
        // For MASKED_EQ libseccomp's datum_a is the mask (OCI "value"), datum_b the value.
        conds.push_back(scmp_arg_cmp{a.index, op, a.value, a.valueTwo});
    }
    for (const std::string& name : sc.names) {
        if (act == SCMP_ACT_NOTIFY && name == "write")
            return invalid(
                "{}: SCMP_ACT_NOTIFY cannot be used for write (the runtime needs it "
                "to hand over the listener)",
                field);
    }
    if (act == defAct) return okStatus();  // redundant; libseccomp would refuse it
    for (const std::string& name : sc.names) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) {
            // Profiles list syscalls of newer kernels; runc skips those, so do we.
            if (warn) log::warn("{}: unknown syscall \"{}\" ignored", field, name);
            continue;
        }
        int rc = 0;
        if (!repeated) {
            rc = seccomp_rule_add_array(ctx, act, nr, static_cast<unsigned>(conds.size()),
                                        conds.data());
        } else {
            for (const scmp_arg_cmp& c : conds) {
                rc = seccomp_rule_add_array(ctx, act, nr, 1, &c);
                if (rc < 0) break;
            }
        }
        if (rc < 0) return makeError(-rc, "{}: adding seccomp rule for {}", field, name);
        notify = notify || act == SCMP_ACT_NOTIFY;
    }
    return okStatus();
}

Result<Filter> build(const spec::Seccomp& s, bool warn) {
    Filter f;
    if (s.defaultAction.empty()) return invalid("linux.seccomp.defaultAction: missing");
    uint32_t def =
        TRY(parseAction(s.defaultAction, s.defaultErrnoRet, "linux.seccomp.defaultAction"));
    if (def == SCMP_ACT_NOTIFY)
        return invalid(
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
            "action (the runtime's own writes would block)");
    f.flags = TRY(parseFlags(s.flags));
    if (usesNotify(s) && s.listenerPath.empty())
        return invalid("linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");

    f.ctx.reset(seccomp_init(def));
    if (!f.ctx) return makeError(EINVAL, "seccomp_init failed");
    scmp_filter_ctx ctx = f.ctx.get();
    // no_new_privs is the caller's business (process.noNewPrivileges); root loads without it.
    TRY(setAttr(ctx, SCMP_FLTATR_CTL_NNP, 0, "no_new_privs off"));
    // Real kernel errnos from seccomp_load instead of ECANCELED; optional, older libs lack it.
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    if (f.flags.tsync) TRY(setAttr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "SECCOMP_FILTER_FLAG_TSYNC"));
    if (f.flags.log) TRY(setAttr(ctx, SCMP_FLTATR_CTL_LOG, 1, "SECCOMP_FILTER_FLAG_LOG"));
    if (f.flags.specAllow)
        TRY(setAttr(ctx, SCMP_FLTATR_CTL_SSB, 1, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));

    for (size_t i = 0; i < s.architectures.size(); ++i) {
        std::string field = fmt::format("linux.seccomp.architectures[{}]", i);
        uint32_t arch = TRY(parseArch(s.architectures[i], field));
        // The native arch is in every new filter already (first); EEXIST is fine.
        int rc = seccomp_arch_add(ctx, arch);
        if (rc == -EDOM)
            return invalid(
                "{}: {} cannot share a filter with the native architecture "
                "(different byte order)",
                field, s.architectures[i]);
        if (rc < 0 && rc != -EEXIST)
            return makeError(-rc, "{}: adding architecture {}", field, s.architectures[i]);
    }
    for (size_t i = 0; i < s.syscalls.size(); ++i)
        TRY(addRules(ctx, s.syscalls[i], i, def, warn, f.notify));
    // Binary-tree dispatch pays off on long profiles (runc's threshold; libseccomp <= 2.5.4
    // misbehaves with it on an empty rule set).
    if (s.syscalls.size() > 32) (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    return f;
}

}  // namespace

bool usesNotify(const spec::Seccomp& s) {
    for (const auto& sc : s.syscalls)
        if (sc.action == "SCMP_ACT_NOTIFY") return true;
    return false;
}

Status validate(const spec::Seccomp& s) {
    TRY(build(s, true));
    return okStatus();
}

// The filter is exported as a BPF program once, in the runtime, and installed with seccomp(2)
// in the container process: no libseccomp work between `start` and exec, and the flags
// libseccomp 2.5 cannot express (WAIT_KILLABLE_RECV) are ours to set.
Result<Program> compile(const spec::Seccomp& s) {
    Filter f = TRY(build(s, true));
    UniqueFd mem(memfd_create("berth-seccomp-bpf", MFD_CLOEXEC));
    if (!mem) return errnoError("seccomp: memfd_create");
    int rc = seccomp_export_bpf(f.ctx.get(), mem.get());
    if (rc < 0) return makeError(-rc, "seccomp: exporting the BPF program");
    if (lseek(mem.get(), 0, SEEK_SET) < 0) return errnoError("seccomp: lseek");
    Program p;
    p.bpf = TRY_CTX(sys::readFd(mem.get()), "seccomp: reading the BPF program");
    p.notify = f.notify;
    p.listenerPath = s.listenerPath;
    p.listenerMetadata = s.listenerMetadata;
    if (f.flags.tsync) p.flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (f.flags.log) p.flags |= SECCOMP_FILTER_FLAG_LOG;
    if (f.flags.specAllow) p.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (f.notify) {
        p.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        // TSYNC reports a failing thread id in place of the listener fd unless TSYNC_ESRCH.
        if (f.flags.tsync) p.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        // Only meaningful with a listener; the kernel rejects it otherwise.
        if (f.flags.waitKillable) p.flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
    return p;
}

Result<UniqueFd> install(const Program& p) {
    struct sock_fprog fprog = {};
    fprog.len = static_cast<unsigned short>(p.bpf.size() / sizeof(struct sock_filter));
    fprog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(p.bpf.data()));
    long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &fprog);
    if (fd < 0) return errnoError("loading seccomp filter");
    if (!p.notify) return UniqueFd();
    return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> load(const spec::Seccomp& s) { return install(TRY(compile(s))); }

}  // namespace berth::seccomp
