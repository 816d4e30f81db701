// start, stop, kill, exit handling and restart policies. A start is a sequence of steps, each
// undone when a later one fails: rootfs mount, network sandbox, volumes, bundle, monitor.
#include <sys/mount.h>
#include <csignal>

#include <chrono>
#include <thread>

#include "common/failpoint.h"
#include "common/log.h"
#include "common/scope_guard.h"
#include "common/sys.h"
#include "engine/fs_ops.h"
#include "engine/internal.h"
#include "engine/namespace_modes.h"
#include "engine/network_glue.h"
#include "engine/volumes.h"
#include "engine/watcher.h"
#include "image/service.h"
#include "monitor/monitor.h"
#include "network/network.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/container.h"

namespace berth::engine {

Status Engine::Impl::prepareRootfs(Container& c) {
    auto digest = TRY(image::Digest::parse(c.imageId));
    auto layers = TRY_CTX(images->rootfsLayers(digest), "image {}", c.image);
    std::string dir = containerDir(c.id);
    // berthd's mount targets in a layer of their own (docker's init layer): out of diff and
    // commit.
    auto init = TRY_CTX(prepareInitLayer(dir, layers.lowerDirs), "container {}", c.id);
    layers.lowerDirs.insert(layers.lowerDirs.begin(), init);
    auto spec = TRY(image::prepareRw(dir, layers.lowerDirs));
    std::string target = dir + "/rootfs";
    TRY(sys::mkdirAll(target, 0755));
    // A mount left by a daemon killed mid-way is replaced, not stacked.
    (void)::umount2(target.c_str(), MNT_DETACH);
    TRY_CTX(image::mountOverlay(spec, target), "mount rootfs of {}", c.id);
    return okStatus();
}

std::string Engine::Impl::cgroupsPath(const Container& c) const {
    std::string parent =
        c.hostConfig.is_object() ? c.hostConfig.value("CgroupParent", "") : std::string();
    if (parent.empty()) parent = opts.cgroupParent;
    if (!parent.empty() && parent[0] != '/') parent = "/" + parent;
    return parent + "/" + c.id;
}

namespace {

Result<std::unique_ptr<cgroups::Manager>> openCgroup(const Engine::Impl& impl, const Container& c) {
    if (!impl.cgroupMode) return makeError(ENOENT, "no cgroup hierarchy");
    cgroups::Options o;
    o.path = TRY(cgroups::resolvePath(impl.cgroupsPath(c), c.id));
    o.mounts = impl.cgroupMounts;
    return cgroups::open(*impl.cgroupMode, o);
}

}  // namespace

// A primed migration holds the cgroup mutex through its RCU grace period, and a cgroup mkdir
// needs that mutex: made after the priming, the runtime's mkdir would wait the grace period
// out. So the directories are made here first (the runtime's mkdir then finds them), and the
// grace period runs while the rootfs, the sandbox, the bundle and the monitor are set up.
void Engine::Impl::prepareCgroup(const Container& c) {
    if (auto m = openCgroup(*this, c)) {
        if (auto st = (*m)->create(); !st)
            log::debug("container {}: cgroup made ahead: {}", c.id, st.error().str());
    }
    primer->prime();
}

void Engine::Impl::dropCgroup(const Container& c) {
    auto m = openCgroup(*this, c);
    if (!m) return;
    if (auto st = (*m)->destroy(); !st && st.error().code != ENOENT)
        log::warn("container {}: remove cgroup: {}", c.id, st.error().str());
}

void Engine::Impl::releaseResources(Container& c, bool unmountRootfs) {
    if (auto st = network->removeSandbox(c.id); !st)
        log::warn("container {}: remove network sandbox: {}", c.id, st.error().str());
    if (!unmountRootfs) return;
    std::string target = containerDir(c.id) + "/rootfs";
    if (::umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        log::warn("container {}: unmount rootfs: {}", c.id, errnoName(errno));
}

Status Engine::Impl::startLocked(Entry& e, std::unique_lock<std::mutex>& lk) {
    (void)lk;
    Container& c = e.c;
    if (c.running()) return makeError(EALREADY, "container {} is already running", c.id);
    if (c.state.status == "removing" || e.removed)
        return makeError(EBUSY, "container is marked for removal and cannot be started");
    if (c.state.status == "dead") return makeError(EBUSY, "cannot start a dead container");
    TRY(checkNetworkTargets(*this, c));

    prepareCgroup(c);
    TRY(prepareRootfs(c));
    failpoint("start.rootfs");
    ScopeGuard undoRootfs([&] {
        std::string t = containerDir(c.id) + "/rootfs";
        (void)::umount2(t.c_str(), MNT_DETACH);
    });

    auto sbSpec = TRY(sandboxSpec(c));
    auto sb = TRY_CTX(network->createSandbox(sbSpec), "network");
    ScopeGuard undoNet([&] { (void)network->removeSandbox(c.id); });
    failpoint("start.network");

    SpecInputs in;
    in.rootfs = containerDir(c.id) + "/rootfs";
    in.netnsPath = sb.netnsPath;
    in.hostsPath = sb.hostsPath;
    in.resolvConfPath = sb.resolvConfPath;
    in.hostnamePath = sb.hostnamePath;
    in.cgroupsPath = cgroupsPath(c);
    if (c.hostConfig.value("Init", false)) in.initPath = initPath();
    in.extraMounts = TRY(mountsForStart(*this, c, in.rootfs));
    in.joinPids = TRY(namespaceJoinPids(*this, c));

    std::string specJson = TRY(ociSpec(c, in));
    TRY_CTX(sys::writeFileAtomic(containerDir(c.id) + "/config.json", specJson, 0600),
            "write bundle");
    failpoint("start.bundle");

    monitor::ContainerSpec ms;
    ms.id = c.id;
    ms.bundle = containerDir(c.id);
    ms.stateDir = monitorDir(c.id);
    ms.runtimeRoot = runtimeRoot();
    ms.logPath = containerDir(c.id) + "/container.log";
    const Json logCfg = c.hostConfig["LogConfig"].value("Config", Json::object());
    const std::string logType = c.hostConfig["LogConfig"].value("Type", "json-file");
    ms.logMaxSize = opts.logMaxSize;
    ms.logMaxFiles = opts.logMaxFiles;
    if (logType == "local") {
        // docker's local driver keeps 5 files of 20 MiB unless told otherwise (stored here in
        // the same per-stream record files as json-file; `logs` reads both alike).
        ms.logMaxSize = 20 << 20;
        ms.logMaxFiles = 5;
    }
    if (logCfg.contains("max-size")) ms.logMaxSize = parseSize(logCfg.value("max-size", "0"));
    if (logCfg.contains("max-file"))
        ms.logMaxFiles = std::max(1, std::atoi(logCfg.value("max-file", "1").c_str()));
    if (logType == "none") ms.logPath.clear();
    ms.tty = c.config.value("Tty", false);
    ms.openStdin = c.config.value("OpenStdin", false);
    ms.stdinOnce = c.config.value("StdinOnce", false);
    auto cs = c.hostConfig.value("ConsoleSize", Json::array());
    if (cs.is_array() && cs.size() == 2 && cs[0].is_number() && cs[1].is_number()) {
        ms.consoleHeight = cs[0].get<unsigned>();
        ms.consoleWidth = cs[1].get<unsigned>();
    }
    (void)sys::removeAll(ms.stateDir);

    e.starting = true;
    auto hook = [&](const std::string& stateDir) {
        for (PendingAttach* pa : e.pendingAttaches) {
            monitor::AttachRequest r;
            r.stdinStream = pa->opts.stdinStream;
            r.stdoutStream = pa->opts.stdoutStream;
            r.stderrStream = pa->opts.stderrStream;
            pa->result = monitor::attach(stateDir, r);
        }
        e.pendingAttaches.clear();
        e.cv.notify_all();
    };
    auto started = monitor::start(monitorPath(), ms, hook);
    e.starting = false;
    if (!started) {
        std::string msg = started.error().str();
        c.state.error = msg;
        c.state.exitCode = monitor::exitCodeHint(started.error());
        c.state.status = c.hasBeenStarted ? "exited" : "created";
        for (PendingAttach* pa : e.pendingAttaches) pa->result = Error{started.error().code, msg};
        e.pendingAttaches.clear();
        e.cv.notify_all();
        (void)save(c);
        publish(c, "die", {{"exitCode", std::to_string(c.state.exitCode)}});
        Error err = std::move(started).error();
        // docker: a bad command is the caller's fault (400), not the daemon's.
        if (c.state.exitCode == 127 || c.state.exitCode == 126) err.code = EINVAL;
        return err.wrap("failed to create task for container");
    }
    failpoint("start.monitor");
    undoNet.cancel();
    undoRootfs.cancel();
    c.state.status = "running";
    c.state.pid = started->pid;
    c.state.exitCode = 0;
    c.state.error.clear();
    c.state.oomKilled = false;
    c.state.startedAt = rfc3339Nano(started->startedAtNs ? started->startedAtNs : nowNs());
    c.state.finishedAt = kZeroTime;
    c.hasBeenStarted = true;
    c.networkSettings = networkSettingsJson(sb, c.config.value("ExposedPorts", Json::object()));
    c.hostsPath = sb.hostsPath;
    c.resolvConfPath = sb.resolvConfPath;
    c.hostnamePath = sb.hostnamePath;
    if (c.state.health.is_object()) c.state.health["Status"] = "starting";
    TRY(save(c));
    failpoint("start.row");
    metrics.starts++;
    publish(c, "start");
    auto fd = monitor::watchExit(monitorDir(c.id));
    std::string id = c.id;
    if (fd) {
        watcher->add(id, std::move(*fd), [this, id] { onExit(id); });
    } else {
        log::warn("container {}: watch monitor: {}", id, fd.error().str());
    }
    startHealth(e);
    return okStatus();
}

Status Engine::Impl::killLocked(Entry& e, int sig) {
    if (!e.c.running()) return makeError(EBUSY, "Container {} is not running", e.c.id);
    auto st = runtime::kill(runtimeGlobals(), e.c.id, sig, false);
    if (!st) {
        // The process may have exited between our check and the signal.
        if (st.error().code == ESRCH || st.error().code == ENOENT) return okStatus();
        return std::move(st).error().wrap(fmt::format("kill container {}", e.c.id));
    }
    return okStatus();
}

Status Engine::Impl::stopLocked(Entry& e, std::unique_lock<std::mutex>& lk, int timeout, int sig) {
    Container& c = e.c;
    if (c.state.status == "restarting") {
        // A pending restart is cancelled by a stop.
        c.manuallyStopped = true;
        c.state.status = "exited";
        TRY(save(c));
        return okStatus();
    }
    if (!c.running()) return makeError(EALREADY, "container {} is not running", c.id);
    c.manuallyStopped = true;
    TRY(save(c));
    uint64_t seq = e.exitSeq;
    if (c.state.status == "paused") (void)runtime::resume(runtimeGlobals(), c.id);
    if (timeout != 0) {
        TRY(killLocked(e, sig));
        if (timeout < 0) {
            e.cv.wait(lk, [&] { return e.exitSeq != seq; });
            return okStatus();
        }
        if (e.cv.wait_for(lk, std::chrono::seconds(timeout), [&] { return e.exitSeq != seq; }))
            return okStatus();
    }
    if (e.exitSeq == seq) TRY(killLocked(e, SIGKILL));
    if (!e.cv.wait_for(lk, std::chrono::seconds(30), [&] { return e.exitSeq != seq; }))
        return makeError(ETIMEDOUT, "container {} did not exit after SIGKILL", c.id);
    return okStatus();
}

void Engine::Impl::onExit(const std::string& id) {
    std::shared_ptr<Entry> e;
    {
        std::lock_guard lk(mu);
        auto it = byId.find(id);
        if (it == byId.end()) return;
        e = it->second;
    }
    std::unique_lock lk(e->mu);
    Container& c = e->c;
    if (!c.running()) return;
    auto st = monitor::inspect(monitorDir(id));
    int64_t startedNs = parseTimeNs(c.state.startedAt).valueOr(0);
    if (st && st->exit) {
        c.state.exitCode = st->exit->exitCode;
        c.state.oomKilled = st->exit->oomKilled;
        c.state.error = st->exit->error;
        c.state.finishedAt = rfc3339Nano(st->exit->finishedAtNs ? st->exit->finishedAtNs : nowNs());
    } else {
        // The monitor died without a status (killed, or the machine rebooted).
        c.state.exitCode = 255;
        c.state.error = "container monitor exited without an exit status";
        c.state.finishedAt = nowRfc3339Nano();
    }
    c.state.status = "exited";
    c.state.pid = 0;
    if (c.state.health.is_object()) c.state.health["Status"] = "unhealthy";
    stopHealth(*e, lk);
    // A --rm container's rootfs is unmounted by the reaper with its directory.
    bool autoRemove = c.hostConfig.value("AutoRemove", false) && !shuttingDown;
    releaseResources(c, !autoRemove);
    (void)monitor::cleanup(monitorDir(id));
    metrics.exits++;
    e->exitSeq++;
    publish(c, "die", {{"exitCode", std::to_string(c.state.exitCode)}});

    // Restart policy (docker's: none after a manual stop; on-failure counts retries).
    const Json rp = c.hostConfig.value("RestartPolicy", Json::object());
    std::string policy = rp.value("Name", "no");
    int maxRetry = rp.value("MaximumRetryCount", 0);
    bool restart = false;
    if (!c.manuallyStopped && !shuttingDown) {
        if (policy == "always" || policy == "unless-stopped") restart = true;
        if (policy == "on-failure" && c.state.exitCode != 0 &&
            (maxRetry == 0 || c.restartCount < maxRetry))
            restart = true;
    }
    if (restart) {
        int64_t ranNs = nowNs() - startedNs;
        // docker: 100 ms doubling per restart, back to 100 ms after 10 s of running.
        if (ranNs >= 10LL * 1000000000) e->backoffMs = 0;
        e->backoffMs = e->backoffMs == 0 ? 100 : std::min(e->backoffMs * 2, 60000);
        c.state.status = "restarting";
        (void)save(c);
        e->cv.notify_all();
        scheduleRestart(e, e->backoffMs);
        return;
    }
    if (!autoRemove) (void)save(c);  // else the removal's own "removing" row comes next
    e->cv.notify_all();
    if (autoRemove) {
        auto r = removeLocked(e, lk, true, true);
        if (!r) log::warn("container {}: auto-remove: {}", id, r.error().str());
    }
}

void Engine::Impl::scheduleRestart(const std::shared_ptr<Entry>& e, int delayMs) {
    std::thread([this, e, delayMs] {
        std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
        std::unique_lock lk(e->mu);
        if (e->removed || e->c.state.status != "restarting" || shuttingDown) return;
        e->c.restartCount++;
        metrics.restarts++;
        e->c.state.status = "exited";
        auto st = startLocked(*e, lk);
        if (!st) {
            log::warn("container {}: restart: {}", e->c.id, st.error().str());
            publish(e->c, "restart-failed");
        } else {
            publish(e->c, "restart");
        }
    }).detach();
}

}  // namespace berth::engine
