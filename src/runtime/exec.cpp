// `exec`: a new process in a running container: join its namespaces, cgroup and root, take the
// container's security settings, and run.
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "runtime/capabilities.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/console.h"
#include "runtime/init.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_cache.h"
#include "runtime/container.h"
#include "runtime/namespaces.h"
#include "runtime/process_attrs.h"
#include "runtime/process_exec.h"
#include "runtime/supervise.h"
#include "runtime/sync.h"

namespace berth::runtime {

namespace {

void setEnv(std::vector<std::string>& env, const std::string& kv) {
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    for (auto& e : env) {
        if (e.compare(0, key.size() + 1, key + "=") == 0) {
            e = kv;
            return;
        }
    }
    env.push_back(kv);
}

Result<spec::Process> buildProcess(const spec::Spec& s, ExecOptions& o) {
    if (o.process) return *o.process;
    spec::Process p = *s.process;
    if (o.args.empty()) return invalid("exec: no command given");
    p.args = o.args;
    for (const auto& e : o.env) setEnv(p.env, e);
    if (!o.cwd.empty()) p.cwd = o.cwd;
    if (o.user) p.user = *o.user;
    p.terminal = o.tty.value_or(false);
    p.consoleSize.reset();
    if (o.noNewPrivs) p.noNewPrivileges = true;
    if (!o.addCaps.empty()) {
        if (!p.capabilities) p.capabilities = spec::Capabilities{};
        for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective,
                          &p.capabilities->permitted, &p.capabilities->inheritable,
                          &p.capabilities->ambient}) {
            for (const auto& c : o.addCaps) set->push_back(c);
        }
    }
    return p;
}

// Namespaces of the container that differ from ours (setns into our own user ns fails).
std::vector<std::string> foreignNamespaces(const state::State& st) {
    std::vector<std::string> out;
    for (const auto& t : st.namespaces) {
        const ns::Kind* k = ns::find(t);
        if (!k) continue;
        struct stat a, b;
        std::string theirs = fmt::format("/proc/{}/ns/{}", st.pid, k->procName);
        std::string ours = fmt::format("/proc/self/ns/{}", k->procName);
        if (::stat(theirs.c_str(), &a) == 0 && ::stat(ours.c_str(), &b) == 0 &&
            a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            continue;
        }
        out.push_back(t);
    }
    return out;
}

struct ExecChild {
    procexec::Plan plan;
    std::vector<ns::Join>* joins;
    int rootFd;
    int syncFd;
    int consoleFd;
    bool ttyToParent;
};

Result<std::string> execSetup(ExecChild& c) {
    const spec::Process& p = *c.plan.process;
    // The container's root, also when it was entered by chroot rather than pivot_root.
    if (::fchdir(c.rootFd) < 0 || ::chroot(".") < 0) return errnoError("enter container root");
    ::close(c.rootFd);
    if (p.terminal) {
        auto master = TRY(console::setupPty(p.consoleSize, false));
        if (c.consoleFd >= 0) {
            TRY(console::sendFd(c.consoleFd, master.get(), "/dev/ptmx"));
            ::close(c.consoleFd);
        } else if (c.ttyToParent) {
            TRY(sync::send(c.syncFd, sync::Msg::Pty, 0, {}, master.get()));
        } else {
            return invalid("a terminal was requested but no --console-socket was given");
        }
    } else if (::setsid() < 0) {
        return errnoError("setsid");
    }
    if (p.oomScoreAdj) TRY(attrs::applyOomScoreAdj(*p.oomScoreAdj));
    return procexec::prepare(c.plan);
}

[[noreturn]] void execChildMain(ExecChild& c) {
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    auto go = sync::expect(c.syncFd, sync::Msg::Go);
    if (!go) _exit(1);
    auto st = ns::joinAll(*c.joins);
    if (!st) {
        sync::sendError(c.syncFd, st.error());
        _exit(1);
    }
    pid_t pid = detail::forkSibling();  // enters the pid namespace; the runtime's child
    if (pid < 0) {
        sync::sendError(c.syncFd, errnoError("fork"));
        _exit(1);
    }
    if (pid > 0) {
        (void)sync::send(c.syncFd, sync::Msg::InitPid, pid);
        _exit(0);
    }
    auto path = execSetup(c);
    if (!path) {
        sync::sendError(c.syncFd, path.error());
        _exit(1);
    }
    // On success the close-on-exec sync socket closes: the runtime reads EOF.
    Error e = procexec::execNow(c.plan, *path);
    sync::sendError(c.syncFd, e);
    _exit(127);
}

}  // namespace

Result<int> exec(const Globals& g, ExecOptions o) {
    auto st = TRY(state::load(g.root, o.id));
    auto status = state::status(g.root, st);
    if (status == state::ContainerStatus::Stopped) {
        return makeError(EINVAL, "cannot exec in a stopped container \"{}\"", o.id);
    }
    if (status == state::ContainerStatus::Paused && !o.ignorePaused) {
        return makeError(EINVAL, "cannot exec in a paused container \"{}\"", o.id);
    }
    spec::Spec s = TRY(spec::loadSpec(state::dir(g.root, o.id)));
    spec::Process proc = TRY(buildProcess(s, o));
    TRY(attrs::validate(proc, s.linux ? &*s.linux : nullptr));
    if (proc.capabilities) TRY(caps::validate(*proc.capabilities));

    auto joins = TRY(ns::openOfPid(st.pid, foreignNamespaces(st)));
    auto rootFd = TRY(sys::open(fmt::format("/proc/{}/root", st.pid), O_RDONLY | O_DIRECTORY));
    auto cg = TRY(cgroups::open(st.cgroupMode, {st.cgroupRoot, st.cgroupPath, false}));
    UniqueFd consoleFd;
    if (!o.consoleSocket.empty()) consoleFd = TRY(console::connectSocket(o.consoleSocket));
    auto pair = TRY(sync::makePair());
    if (!o.detach) TRY(detail::prepareSupervisor());

    ExecChild c;
    c.plan.process = &proc;
    std::optional<seccomp::Program> filter;
    if (s.linux && s.linux->seccomp) {
        filter = TRY(seccomp::compileCached(*s.linux->seccomp, g.root + "/@seccomp-cache"));
    }
    c.plan.seccomp = filter ? &*filter : nullptr;
    c.plan.stateJson = state::ociJson(st, status, false);
    c.plan.preserveFds = o.preserveFds;
    c.plan.syncFd = pair.child.get();
    c.joins = &joins;
    c.rootFd = rootFd.get();
    c.syncFd = pair.child.get();
    c.consoleFd = consoleFd.get();
    c.ttyToParent = !o.detach && o.consoleSocket.empty();

    pid_t child = ::fork();
    if (child < 0) return errnoError("fork");
    if (child == 0) {
        pair.parent.reset();
        execChildMain(c);
    }
    pair.child.reset();
    consoleFd.reset();
    pid_t pid = 0;
    // Both are our children (the process by CLONE_PARENT): kill and reap, no zombie is left in
    // the container's pid namespace.
    ScopeGuard killAll([&] {
        detail::killAndReap(child);
        detail::killAndReap(pid);
    });
    TRY_CTX(cg->addTask(child), "exec in {}: join cgroup", o.id);
    TRY(sync::send(pair.parent.get(), sync::Msg::Go));
    UniqueFd pty;
    for (;;) {
        auto m = sync::recv(pair.parent.get());
        if (!m) {
            if (m.error().code == EPIPE && pid > 0) break;  // EOF: exec succeeded
            return std::move(m).error().wrap("exec in " + o.id);
        }
        if (m->type == sync::Msg::InitPid) {
            pid = static_cast<pid_t>(m->value);
        } else if (m->type == sync::Msg::Pty) {
            pty = std::move(m->fd);
        } else if (m->type == sync::Msg::SeccompFd && c.plan.seccomp) {
            TRY(procexec::forwardListener(*c.plan.seccomp, m->fd.get(), c.plan.stateJson, pid));
        } else if (m->type == sync::Msg::Error) {
            Error e{static_cast<int>(m->value), m->payload};
            e.quiet = true;
            return e.wrap("exec in " + o.id);
        }
    }
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    killAll.cancel();
    if (!o.pidFile.empty()) {
        TRY_CTX(sys::writeFileAtomic(o.pidFile, std::to_string(pid)), "write pid file");
    }
    if (o.detach) return 0;
    return detail::supervise(pid, pty.get());
}

}  // namespace berth::runtime
