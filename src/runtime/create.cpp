// `create`: the runtime's side. Validates everything it can before any kernel object exists,
// then state dir -> cgroup -> intermediate process -> init, undoing each step on failure.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

#include "common/log.h"
#include "common/scope_guard.h"
#include "common/sys.h"
#include "runtime/capabilities.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/device_rules.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/process_attrs.h"
#include "runtime/process_exec.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_cache.h"
#include "runtime/supervise.h"
#include "runtime/sync.h"

namespace berth::runtime {

namespace {

Result<std::string> realPath(const std::string& p, const char* what) {
    char buf[PATH_MAX];
    if (!::realpath(p.c_str(), buf)) return errnoError("{} {}", what, p);
    return std::string(buf);
}

Status validate(const spec::Spec& s) {
    if (!s.process) return invalid("config.json: process is required to create a container");
    if (!s.root) return invalid("config.json: root is required");
    if (!s.linux) return invalid("config.json: linux is required");
    bool mountNs = false;
    for (const auto& n : s.linux->namespaces) {
        if (!ns::find(n.type)) return invalid("linux.namespaces: unknown namespace type \"{}\"", n.type);
        if (n.type == "mount") mountNs = true;
    }
    if (!mountNs) return invalid("linux.namespaces: a mount namespace is required");
    // As runc: AppArmor/SELinux settings are skipped when the host has no such LSM (this
    // runtime supports neither yet), but Intel RDT cannot be silently dropped.
    if (s.linux->intelRdt) {
        return invalid("linux.intelRdt is set, but Intel RDT is not supported by this runtime");
    }
    TRY(attrs::validate(*s.process, &*s.linux));
    if (s.process->capabilities) TRY(caps::validate(*s.process->capabilities));
    TRY(rootfs::validateSysctls(s));
    return {};
}

Status writeIdMaps(pid_t pid, const spec::Linux& l) {
    auto fmtMap = [](const std::vector<spec::IdMapping>& m) {
        std::string t;
        for (const auto& e : m) t += fmt::format("{} {} {}\n", e.containerID, e.hostID, e.size);
        return t;
    };
    if (!l.uidMappings.empty()) {
        TRY_CTX(sys::writeFile(fmt::format("/proc/{}/uid_map", pid), fmtMap(l.uidMappings)),
                "write uid mappings");
    }
    if (!l.gidMappings.empty()) {
        TRY_CTX(sys::writeFile(fmt::format("/proc/{}/gid_map", pid), fmtMap(l.gidMappings)),
                "write gid mappings");
    }
    return {};
}

// runc reports the owner's user name; read /etc/passwd directly (no NSS in a static binary).
std::string ownerName() {
    uid_t uid = ::geteuid();
    auto text = sys::readFile("/etc/passwd");
    if (text) {
        size_t pos = 0;
        while (pos < text->size()) {
            size_t end = text->find('\n', pos);
            if (end == std::string::npos) end = text->size();
            std::string line = text->substr(pos, end - pos);
            auto c1 = line.find(':'), c2 = line.find(':', c1 + 1), c3 = line.find(':', c2 + 1);
            if (c3 != std::string::npos &&
                line.substr(c2 + 1, c3 - c2 - 1) == std::to_string(uid)) {
                return line.substr(0, c1);
            }
            pos = end + 1;
        }
    }
    return std::to_string(uid);
}

// Talks to the intermediate process and the init until the init waits for `start`.
// Messages from the two may interleave, so the init pid and HooksReady come in either order.
Status drive(const spec::Spec& s, state::State& st, const std::string& root, int sock,
             pid_t child, bool newUserNs, int* ptyOut, pid_t* initOut,
             const seccomp::Program* seccompProgram) {
    TRY(sync::send(sock, sync::Msg::Go));
    if (newUserNs) {
        TRY(sync::expect(sock, sync::Msg::UsernsReady));
        TRY(writeIdMaps(child, *s.linux));
        TRY(sync::send(sock, sync::Msg::Go));
    }
    bool hooksReady = false;
    while (st.pid == 0 || !hooksReady) {
        auto m = TRY(sync::recv(sock));
        if (m.type == sync::Msg::Error) {
            Error e{static_cast<int>(m.value), m.payload};
            e.quiet = true;
            return e;
        }
        if (m.type == sync::Msg::InitPid) {
            st.pid = static_cast<pid_t>(m.value);
            *initOut = st.pid;
            st.startTime = state::processStartTime(st.pid);
            if (s.process->oomScoreAdj) {
                TRY_CTX(sys::writeFile(fmt::format("/proc/{}/oom_score_adj", st.pid),
                                       std::to_string(*s.process->oomScoreAdj)),
                        "set oomScoreAdj");
            }
            TRY(state::save(root, st));
        } else if (m.type == sync::Msg::HooksReady) {
            hooksReady = true;
        } else {
            return invalid("sync: unexpected message {}", static_cast<uint32_t>(m.type));
        }
    }
    std::string json = state::ociJson(st, state::ContainerStatus::Creating, false);
    if (s.hooks) {
        TRY(hooks::run(s.hooks->prestart, json, "prestart"));
        TRY(hooks::run(s.hooks->createRuntime, json, "createRuntime"));
    }
    // createContainer hooks get the "creating" state, startContainer ones the "created" state;
    // compact JSON has no raw newline, so one separates the two.
    TRY(sync::send(sock, sync::Msg::Go, 0,
                   json + "\n" + state::ociJson(st, state::ContainerStatus::Created, false)));
    for (;;) {
        auto m = TRY(sync::recv(sock));
        if (m.type == sync::Msg::Pty && ptyOut) {
            *ptyOut = m.fd.release();
            continue;
        }
        if (m.type == sync::Msg::SeccompFd && seccompProgram) {
            TRY(procexec::forwardListener(*seccompProgram, m.fd.get(),
                                          state::ociJson(st, state::ContainerStatus::Created, false),
                                          st.pid));
            continue;
        }
        if (m.type == sync::Msg::Error) {
            Error e{static_cast<int>(m.value), m.payload};
            e.quiet = true;
            return e;
        }
        if (m.type == sync::Msg::Created) return {};
        return invalid("sync: unexpected message {}", static_cast<uint32_t>(m.type));
    }
}

}  // namespace

// Socket activation, as runc does: fds 3..3+N-1 handed to us with LISTEN_FDS=N are passed on,
// and the container is told with LISTEN_FDS=N and LISTEN_PID=1.
void passListenFds(spec::Process& p, CreateOptions& o) {
    const char* env = ::getenv("LISTEN_FDS");
    if (!env) return;
    int n = atoi(env);
    if (n <= 0) return;
    o.preserveFds = std::max(o.preserveFds, n);
    p.env.push_back(fmt::format("LISTEN_FDS={}", n));
    p.env.push_back("LISTEN_PID=1");
}

Result<pid_t> createImpl(const Globals& g, const CreateOptions& opts, int* ptyOut) {
    CreateOptions o = opts;
    TRY(state::validateId(o.id));
    std::string bundle = TRY(realPath(o.bundle, "bundle"));
    spec::Spec s = TRY(spec::loadSpec(bundle));
    TRY(validate(s));
    passListenFds(*s.process, o);
    std::string rootPath = s.root->path.starts_with('/') ? s.root->path : bundle + "/" + s.root->path;
    std::string rootfs = TRY(realPath(rootPath, "rootfs"));
    if (!sys::isDir(rootfs)) return makeError(ENOTDIR, "rootfs {}", rootfs);

    TRY_CTX(sys::mkdirAll(g.root, 0700), "state root");
    std::string dir = state::dir(g.root, o.id);
    if (::mkdir(dir.c_str(), 0711) < 0) {
        if (errno == EEXIST) return makeError(EEXIST, "container \"{}\" already exists", o.id);
        return errnoError("create state directory {}", dir);
    }
    ScopeGuard dropDir([&] { (void)sys::removeAll(dir); });
    TRY(sys::writeFile(dir + "/config.json", TRY(sys::readFile(bundle + "/config.json")),
                       O_WRONLY | O_CREAT | O_TRUNC, 0600));
    std::string fifo = state::fifoPath(g.root, o.id);
    if (::mkfifo(fifo.c_str(), 0600) < 0) return errnoError("mkfifo {}", fifo);
    // O_RDWR never blocks on a fifo; the init inherits this fd and blocks reading it until
    // `start` writes. Opened here because the container's root (a mapped uid in a user
    // namespace) may not reach the state directory.
    auto fifoFd = TRY(sys::open(fifo, O_RDWR));
    int ep[2];
    if (::pipe2(ep, O_CLOEXEC) < 0) return errnoError("pipe");
    UniqueFd execPipeR(ep[0]), execPipeW(ep[1]);

    state::State st;
    st.ociVersion = s.ociVersion;
    st.id = o.id;
    st.bundle = bundle;
    st.rootfs = rootfs;
    st.created = state::nowRfc3339();
    st.owner = ownerName();
    st.annotations = s.annotations;
    st.systemdCgroup = g.systemdCgroup;
    st.cgroupRoot = g.cgroupRoot;
    for (const auto& n : s.linux->namespaces) st.namespaces.push_back(n.type);

    st.cgroupMode = TRY(cgroups::detect(g.cgroupRoot));
    st.cgroupPath = TRY(cgroups::resolvePath(s.linux->cgroupsPath, o.id));
    auto cg = TRY(cgroups::open(st.cgroupMode, {g.cgroupRoot, st.cgroupPath, g.systemdCgroup}));
    TRY_CTX(cg->create(), "create cgroup");
    // Another container (of any --root) with the same cgroup path must not be joined, nor
    // killed by our rollback: checked before the rollback guard exists.
    if (auto busy = cg->pids(); busy && !busy->empty()) {
        return makeError(EBUSY, "cgroup {} is already in use by {} process(es): another container "
                                "with the same cgroupsPath?",
                         st.cgroupPath, busy->size());
    }
    ScopeGuard dropCgroup([&] {
        (void)cg->killAll(SIGKILL);
        (void)cg->destroy();
    });
    spec::Resources res = s.linux->resources.value_or(spec::Resources{});
    addDefaultDeviceRules(s, res);
    TRY_CTX(cg->apply(res), "apply cgroup resources");

    // Compiled here, once: a bad profile fails before anything exists, and the container
    // process only installs the program.
    std::optional<seccomp::Program> filter;
    if (s.linux->seccomp) {
        filter = TRY(seccomp::compileCached(*s.linux->seccomp, g.root + "/@seccomp-cache"));
    }
    auto joins = TRY(ns::openPaths(s.linux->namespaces));
    const spec::Namespace* user = s.findNamespace("user");
    UniqueFd consoleFd;
    if (!o.consoleSocket.empty()) consoleFd = TRY(console::connectSocket(o.consoleSocket));
    auto pair = TRY(sync::makePair());

    detail::InitContext ctx;
    ctx.spec = &s;
    ctx.opts = &o;
    ctx.rootfs = rootfs;
    ctx.fifoFd = fifoFd.get();
    ctx.execPipeRead = execPipeR.get();
    st.execPipeFd = execPipeW.get();  // the same number in the forked init
    ctx.syncFd = pair.child.get();
    ctx.consoleFd = consoleFd.get();
    ctx.ttyToParent = ptyOut != nullptr;
    ctx.joins = &joins;
    ctx.seccomp = filter ? &*filter : nullptr;
    ctx.newUserNs = user && user->path.empty();
    ctx.newFlags = ns::newFlags(s.linux->namespaces);

    pid_t child = ::fork();
    if (child < 0) return errnoError("fork");
    if (child == 0) {
        pair.parent.reset();
        detail::intermediateMain(ctx);
    }
    pair.child.reset();
    consoleFd.reset();
    fifoFd.reset();
    execPipeR.reset();
    execPipeW.reset();
    joins.clear();
    pid_t init = 0;
    ScopeGuard killChildren([&] {
        detail::killAndReap(child);
        detail::killAndReap(init);  // CLONE_PARENT made the init our child
    });
    TRY_CTX(cg->addTask(child), "join cgroup");
    auto st2 = drive(s, st, g.root, pair.parent.get(), child, ctx.newUserNs, ptyOut, &init,
                     ctx.seccomp);
    if (!st2) {
        // A failed hook stops the container and deletes it (the spec's step 12); poststop runs.
        if (init > 0 && s.hooks) {
            hooks::runWarn(s.hooks->poststop,
                           state::ociJson(st, state::ContainerStatus::Stopped, false), "poststop");
        }
        return std::move(st2).error();
    }
    if (!o.pidFile.empty()) {
        TRY_CTX(sys::writeFileAtomic(o.pidFile, std::to_string(init)), "write pid file");
    }
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    killChildren.cancel();
    dropCgroup.cancel();
    dropDir.cancel();
    return init;
}

Result<pid_t> create(const Globals& g, const CreateOptions& o) {
    return TRY_CTX(createImpl(g, o, nullptr), "create {}", o.id);
}

}  // namespace berth::runtime
