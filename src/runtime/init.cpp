#include "runtime/init.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/sys.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/process_exec.h"
#include "runtime/rootfs.h"
#include "runtime/sync.h"

namespace berth::runtime::detail {

namespace {

constexpr long kKeyctlJoinSessionKeyring = 1;

Status writeTimeOffsets(const spec::Linux& l) {
    std::string text;
    for (const auto& [clock, secs] : l.timeOffsetsSecs) {
        uint32_t ns = 0;
        if (auto it = l.timeOffsetsNanosecs.find(clock); it != l.timeOffsetsNanosecs.end()) {
            ns = it->second;
        }
        text += fmt::format("{} {} {}\n", clock, secs, ns);
    }
    if (text.empty()) return {};
    return sys::writeFile("/proc/self/timens_offsets", text);
}

Status setNames(const spec::Spec& s) {
    if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) < 0) {
        return errnoError("set hostname {}", s.hostname);
    }
    if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) < 0) {
        return errnoError("set domainname {}", s.domainname);
    }
    return {};
}

// Everything the init does up to waiting for `start`. Returns the executable to run.
Result<std::string> initSetup(InitContext& ctx, procexec::Plan& plan, UniqueFd& fifo) {
    const spec::Spec& s = *ctx.spec;
    if (::setsid() < 0) return errnoError("setsid");
    if (!ctx.opts->noNewKeyring) {
        std::string name = "_ses." + ctx.opts->id;
        // Keyrings are not namespaced: a fresh session keyring keeps the host's out of reach.
        if (::syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, name.c_str()) < 0 &&
            errno != ENOSYS && errno != EPERM) {
            return errnoError("join session keyring");
        }
    }
    rootfs::Options ro{ctx.rootfs, ctx.opts->noPivot, ctx.newUserNs || s.hasNamespace("user"),
                       (ctx.newFlags & CLONE_NEWCGROUP) != 0};
    TRY(rootfs::prepare(s, ro));
    TRY(setNames(s));

    // Prestart and createRuntime hooks run in the runtime; it answers with the state JSON.
    TRY(sync::send(ctx.syncFd, sync::Msg::HooksReady));
    auto go = TRY(sync::expect(ctx.syncFd, sync::Msg::Go));
    auto nl = go.payload.find('\n');
    std::string creating = go.payload.substr(0, nl);
    plan.stateJson = nl == std::string::npos ? creating : go.payload.substr(nl + 1);
    if (s.hooks) TRY(hooks::run(s.hooks->createContainer, creating, "createContainer"));
    fifo.reset(ctx.fifoFd);
    TRY(rootfs::enter(ro));

    const spec::Process& p = *s.process;
    if (p.terminal) {
        auto master = TRY(console::setupPty(p.consoleSize, sys::exists("/dev/console")));
        if (ctx.consoleFd >= 0) {
            TRY(console::sendFd(ctx.consoleFd, master.get(), "/dev/ptmx"));
            ::close(ctx.consoleFd);
            ctx.consoleFd = -1;
        } else if (ctx.ttyToParent) {
            TRY(sync::send(ctx.syncFd, sync::Msg::Pty, 0, {}, master.get()));
        } else {
            return invalid("process.terminal is set but no --console-socket was given");
        }
    }
    TRY(rootfs::finish(s, ro));
    return procexec::prepare(plan);
}

[[noreturn]] void initMain(InitContext& ctx) {
    ::close(ctx.execPipeRead);
    procexec::Plan plan;
    plan.process = &*ctx.spec->process;
    plan.seccomp = ctx.seccomp;
    plan.syncFd = ctx.syncFd;
    if (ctx.spec->linux->personality) plan.personality = &*ctx.spec->linux->personality;
    plan.preserveFds = ctx.opts->preserveFds;
    UniqueFd fifo;
    auto path = initSetup(ctx, plan, fifo);
    if (!path) {
        sync::sendError(ctx.syncFd, path.error());
        _exit(1);
    }
    (void)sync::send(ctx.syncFd, sync::Msg::Created);
    ::close(ctx.syncFd);

    char b;
    ssize_t n;
    do {
        n = ::read(fifo.get(), &b, 1);
    } while (n < 0 && errno == EINTR);
    fifo.reset();
    if (n != 1) _exit(1);
    if (ctx.spec->hooks) {
        auto st = hooks::run(ctx.spec->hooks->startContainer, plan.stateJson, "startContainer");
        if (!st) {
            std::string m = st.error().str() + "\n";
            (void)!::write(2, m.data(), m.size());
            _exit(1);
        }
    }
    Error e = procexec::execNow(plan, *path);
    std::string m = e.str() + "\n";
    (void)!::write(2, m.data(), m.size());
    _exit(127);
}

Status intermediateSetup(InitContext& ctx) {
    TRY(sync::expect(ctx.syncFd, sync::Msg::Go));  // the runtime placed us in the cgroup
    TRY(ns::joinAll(*ctx.joins));
    if (ctx.newUserNs) {
        if (::unshare(CLONE_NEWUSER) < 0) return errnoError("create user namespace");
        TRY(sync::send(ctx.syncFd, sync::Msg::UsernsReady));
        TRY(sync::expect(ctx.syncFd, sync::Msg::Go));
        if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) {
            return errnoError("become root in the user namespace");
        }
    }
    if (ctx.newFlags && ::unshare(ctx.newFlags) < 0) return errnoError("create namespaces");
    if (ctx.newFlags & CLONE_NEWTIME) TRY_CTX(writeTimeOffsets(*ctx.spec->linux), "time offsets");
    return {};
}

}  // namespace

pid_t forkSibling() {
    // Raw clone with no new stack behaves like fork; glibc keeps no pid cache to go stale.
    return static_cast<pid_t>(::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0));
}

void intermediateMain(InitContext& ctx) {
    // Not dumpable while runtime memory is mapped: container processes cannot ptrace or open
    // our /proc files. execve resets it.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    auto st = intermediateSetup(ctx);
    if (!st) {
        sync::sendError(ctx.syncFd, st.error());
        _exit(1);
    }
    pid_t pid = forkSibling();
    if (pid < 0) {
        sync::sendError(ctx.syncFd, errnoError("fork container init"));
        _exit(1);
    }
    if (pid == 0) initMain(ctx);
    (void)sync::send(ctx.syncFd, sync::Msg::InitPid, pid);
    _exit(0);
}

}  // namespace berth::runtime::detail
