// Engine: open and recovery, lookup, and the container operations that are short enough to
// live together (create, start, stop, kill, pause, rename, remove, wait, update, prune).
#include "engine/engine.h"

#include <poll.h>
#include <sys/mount.h>
#include <unistd.h>
#include <csignal>

#include <filesystem>

#include "common/failpoint.h"
#include "common/log.h"
#include "common/scope_guard.h"
#include "common/sys.h"
#include "engine/internal.h"
#include "engine/names.h"
#include "engine/network_glue.h"
#include "engine/reaper.h"
#include "engine/volumes.h"
#include "engine/watcher.h"
#include "image/service.h"
#include "monitor/monitor.h"
#include "network/network.h"
#include "runtime/container.h"

namespace berth::engine {

namespace {

std::string exeDir() {
    auto self = sys::readlink("/proc/self/exe");
    if (!self) return ".";
    return std::filesystem::path(*self).parent_path().string();
}

}  // namespace

std::string Engine::Impl::monitorPath() const {
    if (!opts.monitorPath.empty()) return opts.monitorPath;
    std::string d = exeDir();
    for (const char* rel : {"/berth-monitor", "/../berth-monitor/berth-monitor"})
        if (sys::exists(d + rel)) return d + rel;
    return "berth-monitor";
}

std::string Engine::Impl::initPath() const {
    if (!opts.initPath.empty()) return opts.initPath;
    std::string d = exeDir();
    for (const char* rel : {"/berth-init", "/../berth-init/berth-init"})
        if (sys::exists(d + rel)) return d + rel;
    return "/usr/libexec/berth/berth-init";
}

Result<std::shared_ptr<Entry>> Engine::Impl::find(const std::string& idOrName) const {
    std::lock_guard lk(mu);
    std::string key = idOrName;
    if (!key.empty() && key[0] == '/') key = key.substr(1);
    if (auto it = byId.find(key); it != byId.end()) return it->second;
    if (auto it = names.find(key); it != names.end()) return byId.at(it->second);
    if (key.size() >= 1) {
        std::shared_ptr<Entry> found;
        for (const auto& [id, e] : byId) {
            if (id.rfind(key, 0) != 0) continue;
            if (found) return makeError(EINVAL, "multiple IDs found with provided prefix: {}", key);
            found = e;
        }
        if (found) return found;
    }
    return makeError(ENOENT, "No such container: {}", idOrName);
}

Status Engine::Impl::save(const Container& c) {
    return store->put("containers", c.id, c.name, c.toRecord().dump());
}

void Engine::Impl::publish(const Container& c, const std::string& action,
                           std::map<std::string, std::string> extra) {
    Event ev;
    ev.type = "container";
    ev.action = action;
    ev.id = c.id;
    ev.attributes = std::move(extra);
    ev.attributes["name"] = c.name;
    ev.attributes["image"] = c.image;
    const Json labels = c.config.value("Labels", Json::object());
    if (labels.is_object())
        for (auto& [k, v] : labels.items())
            if (v.is_string()) ev.attributes.emplace(k, v.get<std::string>());
    events.publish(std::move(ev));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() {
    if (impl_) {
        impl_->shuttingDown = true;
        if (impl_->watcher) impl_->watcher->stop();
    }
}

EventBus& Engine::events() {
    return impl_->events;
}

Result<std::unique_ptr<Engine>> Engine::open(const Options& o, image::Service& images,
                                             net::Manager& network) {
    auto impl = std::make_unique<Impl>();
    impl->opts = o;
    impl->images = &images;
    impl->network = &network;
    for (const std::string& d : {o.root + "/containers", o.root + "/volumes",
                                 o.runRoot + "/monitors", o.runRoot + "/runtime"})
        TRY_CTX(sys::mkdirAll(d, 0710), "create {}", d);
    impl->store = TRY(Store::open(o.root + "/berth.db"));
    impl->watcher = std::make_unique<ExitWatcher>();
    impl->primer = std::make_unique<cgroups::MigrationPrimer>();
    impl->reaper = std::make_unique<DirReaper>();
    if (auto mode = cgroups::detect(); mode) {
        if (auto mt = cgroups::loadMountTable("/sys/fs/cgroup")) {
            impl->cgroupMode = *mode;
            impl->cgroupMounts = std::move(*mt);
        }
    }
    auto rows = TRY(impl->store->all("containers"));
    for (const auto& [id, rec] : rows) {
        Json j = Json::parse(rec, nullptr, false);
        auto c = j.is_discarded() ? Result<Container>(invalid("corrupt record"))
                                  : Container::fromRecord(j);
        if (!c) {
            log::warn("container {}: unreadable record dropped: {}", id, c.error().str());
            continue;
        }
        auto e = std::make_shared<Entry>();
        e->c = std::move(*c);
        impl->names[e->c.name] = id;
        impl->byId[id] = std::move(e);
    }
    TRY(loadVolumes(*impl));
    std::unique_ptr<Engine> eng(new Engine(std::move(impl)));
    eng->impl_->recover();
    return eng;
}

// After a restart: running containers are re-adopted from their monitors, those that ended
// meanwhile get their exit status, then orphans (monitor dirs, mounts, sandboxes and rows
// half-created by a killed daemon) are removed.
void Engine::Impl::recover() {
    std::vector<std::shared_ptr<Entry>> entries;
    {
        std::lock_guard lk(mu);
        for (auto& [id, e] : byId) entries.push_back(e);
    }
    std::set<std::string> live;
    for (auto& e : entries) {
        Container& c = e->c;
        std::string id = c.id;
        if (c.running() || c.state.status == "restarting") {
            auto st = monitor::inspect(monitorDir(id));
            if (st && st->monitorAlive && !st->exit) {
                auto fd = monitor::watchExit(monitorDir(id));
                if (fd) {
                    live.insert(id);
                    watcher->add(id, std::move(*fd), [this, id] { onExit(id); });
                    startHealth(*e);
                    continue;
                }
            }
            if (c.state.status == "restarting") {
                c.state.status = "exited";
                live.insert(id);  // its sandbox is released by the start below
                scheduleRestartAfterRecover(e);
                continue;
            }
            live.insert(id);
            onExit(id);  // exit status from the monitor's dir (or 255 when there is none)
            continue;
        }
        if (c.state.status == "removing") {
            std::unique_lock lk(e->mu);
            (void)removeLocked(e, lk, true, false);
            continue;
        }
        // Stopped containers whose restart policy says "always" come back with the daemon
        // (docker starts always/unless-stopped containers that were running at shutdown).
    }
    if (auto st = network->recover(live); !st) log::warn("network recovery: {}", st.error().str());
    // Monitor dirs no running container explains: containers without a row, and starts the
    // daemon died in before recording them (the client was told the start failed, so the
    // container is left as it was, not running).
    std::error_code ec;
    for (const auto& d : std::filesystem::directory_iterator(opts.runRoot + "/monitors", ec)) {
        std::string id = d.path().filename().string();
        std::lock_guard lk(mu);
        if (!byId.count(id) || !live.count(id)) {
            auto gone = monitor::watchExit(d.path().string());
            (void)runtime::kill(runtimeGlobals(), id, SIGKILL, true);
            // A live monitor removes the runtime state once its container is dead: wait for
            // that, or it could remove the state of the container's next start.
            if (gone) {
                pollfd p{gone->get(), POLLIN, 0};
                (void)::poll(&p, 1, 5000);
            }
            (void)runtime::remove(runtimeGlobals(), id, true);
            (void)sys::removeAll(d.path().string());
        }
    }
    // Rootfs mounts of containers that do not run (a start or an exit the daemon died in).
    for (auto& e : entries) {
        if (live.count(e->c.id) || e->removed) continue;
        std::string target = containerDir(e->c.id) + "/rootfs";
        (void)::umount2(target.c_str(), MNT_DETACH);
    }
    // Container dirs without a row: a create killed before its row was written, or a removal
    // whose directory the reaper had not deleted yet.
    for (const auto& d : std::filesystem::directory_iterator(opts.root + "/containers", ec)) {
        std::string id = d.path().filename().string();
        std::lock_guard lk(mu);
        if (!byId.count(id)) {
            Container orphan;  // its cgroup was made ahead at create (prepareCgroup)
            orphan.id = id;
            dropCgroup(orphan);
            (void)::umount2((d.path().string() + "/rootfs").c_str(), MNT_DETACH);
            (void)sys::removeAll(d.path().string());
        }
    }
}

void Engine::Impl::scheduleRestartAfterRecover(const std::shared_ptr<Entry>& e) {
    e->c.state.status = "restarting";
    scheduleRestart(e, 100);
}

// --- containers ------------------------------------------------------------------------

Result<CreateResult> Engine::create(const std::string& nameIn, const nlohmann::json& body) {
    auto& I = *impl_;
    if (!body.is_object()) return invalid("invalid JSON: the body must be an object");
    std::string imageRef = body.value("Image", "");
    if (imageRef.empty()) return invalid("No image specified (config.Image is empty)");
    auto img = I.images->get(imageRef);
    if (!img) {
        Error e = std::move(img).error();
        if (e.code == ENOENT) return makeError(ENOENT, "No such image: {}", imageRef);
        return e;
    }
    std::string name = nameIn;
    if (!name.empty() && name[0] == '/') name = name.substr(1);
    if (!name.empty() && !validName(name))
        return invalid("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                       nameIn);
    std::string id = randomHexId();
    Json imgCfg = Json::parse(image::containerConfigJson(img->config.config), nullptr, false);
    if (imgCfg.is_discarded()) imgCfg = Json::object();
    CreateResult res;
    res.id = id;
    auto c = TRY(buildContainer(body, id, name, imgCfg, imageRef, img->id.str(), res.warnings));
    // A missing network or container:<x> fails the start (checkNetworkTargets), as in docker:
    // the docker CLI takes any 404 from create for a missing image and pulls.
    TRY(portBindings(c.hostConfig, c.config.value("ExposedPorts", Json::object())));

    auto e = std::make_shared<Entry>();
    {
        std::lock_guard lk(I.mu);
        if (name.empty()) {
            do name = randomName();
            while (I.names.count(name));
        } else if (auto it = I.names.find(name); it != I.names.end()) {
            return makeError(EEXIST,
                             "Conflict. The container name \"/{}\" is already in use by container "
                             "\"{}\". You have to remove (or rename) that container to be able to "
                             "reuse that name.",
                             name, it->second);
        }
        c.name = name;
        I.names[name] = id;  // reserved while we create
    }
    ScopeGuard unreserve([&] {
        std::lock_guard lk(I.mu);
        I.names.erase(name);
    });
    // Files first (the container dir, volumes), then the row.
    std::string dir = I.containerDir(id);
    TRY(sys::mkdirAll(dir, 0710));
    // `run` starts what it creates a moment later: its cgroup is made and primed now.
    I.prepareCgroup(c);
    ScopeGuard undoDir([&] {
        I.dropCgroup(c);
        (void)sys::removeAll(dir);
    });
    failpoint("create.dir");
    TRY(resolveMounts(I, c));
    failpoint("create.mounts");
    TRY(I.save(c));
    failpoint("create.row");
    undoDir.cancel();
    unreserve.cancel();
    e->c = std::move(c);
    {
        std::lock_guard lk(I.mu);
        I.byId[id] = e;
    }
    I.metrics.creates++;
    I.publish(e->c, "create");
    return res;
}

Result<std::string> Engine::resolve(const std::string& idOrName) const {
    auto e = TRY(impl_->find(idOrName));
    return e->c.id;
}

Status Engine::start(const std::string& idOrName) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    if (e->c.state.status == "paused")
        return makeError(EBUSY, "cannot start a paused container, try unpause instead");
    e->c.manuallyStopped = false;
    auto st = impl_->startLocked(*e, lk);
    if (!st && st.error().code != EALREADY && e->c.hostConfig.value("AutoRemove", false) &&
        !e->c.running()) {
        // docker: a --rm container that cannot start is removed (the CLI waits for that).
        (void)impl_->removeLocked(e, lk, true, true);
    }
    return st;
}

Status Engine::stop(const std::string& idOrName, std::optional<int> timeout,
                    const std::string& signal) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    std::string sigName = signal.empty() ? e->c.config.value("StopSignal", "") : signal;
    int sig = TRY(parseSignalName(sigName));
    int t = timeout ? *timeout : e->c.config.value("StopTimeout", 10);
    auto st = impl_->stopLocked(*e, lk, t, sig);
    if (st) impl_->publish(e->c, "stop");
    return st;
}

Status Engine::restart(const std::string& idOrName, std::optional<int> timeout,
                       const std::string& signal) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    if (e->c.running()) {
        std::string sigName = signal.empty() ? e->c.config.value("StopSignal", "") : signal;
        int sig = TRY(parseSignalName(sigName));
        int t = timeout ? *timeout : e->c.config.value("StopTimeout", 10);
        TRY(impl_->stopLocked(*e, lk, t, sig));
    }
    e->c.manuallyStopped = false;
    e->c.state.status = e->c.state.status == "restarting" ? "exited" : e->c.state.status;
    TRY(impl_->startLocked(*e, lk));
    impl_->publish(e->c, "restart");
    return okStatus();
}

Status Engine::kill(const std::string& idOrName, const std::string& signal) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    int sig = TRY(parseSignalName(signal.empty() ? "KILL" : signal));
    if (!e->c.running())
        return makeError(EBUSY, "cannot kill container: {}: container {} is not running", idOrName,
                         e->c.id);
    // As moby: an explicit kill, like a stop, keeps the restart policy from restarting it.
    e->c.manuallyStopped = true;
    (void)impl_->save(e->c);
    TRY(impl_->killLocked(*e, sig));
    impl_->publish(e->c, "kill", {{"signal", std::to_string(sig)}});
    if (e->c.state.status == "paused") {
        // A frozen process gets its signal only once thawed: as moby, a kill resumes it.
        TRY_CTX(runtime::resume(impl_->runtimeGlobals(), e->c.id), "resume {} after the kill",
                e->c.id);
        e->c.state.status = "running";
        TRY(impl_->save(e->c));
    }
    return okStatus();
}

Status Engine::pause(const std::string& idOrName) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    if (e->c.state.status == "paused")
        return makeError(EBUSY, "Container {} is already paused", e->c.id);
    if (!e->c.running()) return makeError(EBUSY, "Container {} is not running", e->c.id);
    TRY(runtime::pause(impl_->runtimeGlobals(), e->c.id));
    e->c.state.status = "paused";
    TRY(impl_->save(e->c));
    impl_->publish(e->c, "pause");
    return okStatus();
}

Status Engine::unpause(const std::string& idOrName) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    if (e->c.state.status != "paused")
        return makeError(EBUSY, "Container {} is not paused", e->c.id);
    TRY(runtime::resume(impl_->runtimeGlobals(), e->c.id));
    e->c.state.status = "running";
    TRY(impl_->save(e->c));
    impl_->publish(e->c, "unpause");
    return okStatus();
}

Status Engine::rename(const std::string& idOrName, const std::string& newNameIn) {
    auto e = TRY(impl_->find(idOrName));
    std::string newName = newNameIn;
    if (!newName.empty() && newName[0] == '/') newName = newName.substr(1);
    if (newName.empty() || !validName(newName))
        return invalid("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                       newNameIn);
    std::unique_lock lk(e->mu);
    std::string old = e->c.name;
    if (old == newName)
        return invalid("Renaming a container with the same name as its current name");
    {
        std::lock_guard g(impl_->mu);
        if (auto it = impl_->names.find(newName); it != impl_->names.end())
            return makeError(EEXIST,
                             "Conflict. The container name \"/{}\" is already in use by container "
                             "\"{}\". You have to remove (or rename) that container to be able to "
                             "reuse that name.",
                             newName, it->second);
        impl_->names.erase(old);
        impl_->names[newName] = e->c.id;
    }
    e->c.name = newName;
    TRY(impl_->save(e->c));
    if (impl_->network)
        if (auto st = impl_->network->renameContainer(e->c.id, newName); !st)
            log::warn("rename {}: {}", e->c.id, st.error().str());
    impl_->publish(e->c, "rename", {{"oldName", "/" + old}});
    return okStatus();
}

Status Engine::Impl::removeLocked(const std::shared_ptr<Entry>& e, std::unique_lock<std::mutex>& lk,
                                  bool force, bool removeVolumes) {
    Container& c = e->c;
    if (e->removed) return okStatus();
    if (c.running() || c.state.status == "restarting") {
        if (!force) {
            if (c.state.status == "paused")
                return makeError(EBUSY,
                                 "cannot remove container \"/{}\": container is paused and must be "
                                 "unpaused first",
                                 c.name);
            return makeError(EBUSY,
                             "cannot remove container \"/{}\": container is running: stop the "
                             "container before removing or force remove",
                             c.name);
        }
        c.manuallyStopped = true;
        if (c.state.status == "restarting") {
            c.state.status = "exited";
        } else {
            TRY(stopLocked(*e, lk, 0, SIGKILL));
        }
    }
    c.state.status = "removing";
    (void)save(c);
    failpoint("remove.marked");
    stopHealth(*e, lk);
    releaseResources(c, false);
    (void)monitor::cleanup(monitorDir(c.id));
    (void)runtime::remove(runtimeGlobals(), c.id, true);
    dropCgroup(c);
    failpoint("remove.runtime");
    TRY(store->remove("containers", c.id));
    failpoint("remove.row");
    // The directory goes after the row, off this request's path; a daemon that dies first
    // finds it without a row at the next start (recover()).
    reaper->add(containerDir(c.id));
    if (removeVolumes) removeAnonymousVolumes(*this, c);
    {
        std::lock_guard g(mu);
        names.erase(c.name);
        byId.erase(c.id);
        for (auto it = execs.begin(); it != execs.end();)
            it = it->second->containerId == c.id ? execs.erase(it) : std::next(it);
    }
    e->removed = true;
    e->cv.notify_all();
    metrics.removes++;
    publish(c, "destroy");
    return okStatus();
}

Status Engine::remove(const std::string& idOrName, bool force, bool removeVolumes) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    return impl_->removeLocked(e, lk, force, removeVolumes);
}

Result<WaitResult> Engine::wait(const std::string& idOrName, WaitCondition cond,
                                const std::function<bool()>& cancelled) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    uint64_t seq = e->exitSeq;
    auto done = [&] {
        switch (cond) {
            case WaitCondition::NotRunning:
                return !e->c.running() && e->c.state.status != "restarting" && !e->starting;
            case WaitCondition::NextExit:
                return e->exitSeq != seq;
            case WaitCondition::Removed:
                return e->removed;
        }
        return true;
    };
    while (!done()) {
        e->cv.wait_for(lk, std::chrono::milliseconds(200));
        if (cancelled && cancelled()) return makeError(ECANCELED, "wait cancelled");
    }
    WaitResult r;
    r.statusCode = e->c.state.exitCode;
    if (!e->c.state.error.empty() && e->c.state.status != "running") r.error = e->c.state.error;
    return r;
}

namespace {

// The docker CLI sends the whole Resources struct on `update`: as for moby, a zero value means
// "leave this setting as it is" (PidsLimit, a pointer in moby, is the exception: 0 = no limit).
bool leftAsIs(const std::string& key, const Json& v) {
    if (v.is_null()) return true;
    if (key == "PidsLimit") return false;
    if (key == "RestartPolicy") return !v.is_object() || v.value("Name", "").empty();
    if (v.is_number()) return v == 0;
    if (v.is_string()) return v.get_ref<const std::string&>().empty();
    if (v.is_array()) return v.empty();
    return false;
}

}  // namespace

Result<nlohmann::json> Engine::update(const std::string& idOrName, const nlohmann::json& body) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    if (!body.is_object()) return invalid("invalid JSON body");
    Json hc = e->c.hostConfig;
    for (auto& [k, v] : body.items())
        if (!leftAsIs(k, v)) hc[k] = v;
    std::vector<std::string> warnings;
    TRY(validateHostConfig(hc, warnings));
    if (hc.value("AutoRemove", false) && hc["RestartPolicy"].value("Name", "no") != "no")
        return invalid(
            "Restart policy cannot be updated because AutoRemove is enabled for the "
            "container");
    if (e->c.running()) {
        auto r = TRY(spec::parseResources(ociResources(hc).dump()));
        TRY_CTX(runtime::update(impl_->runtimeGlobals(), e->c.id, r), "Cannot update container {}",
                e->c.id);
    }
    e->c.hostConfig = hc;
    TRY(impl_->save(e->c));
    impl_->publish(e->c, "update");
    return Json{{"Warnings", warnings}};
}

Counts Engine::counts() const {
    Counts n;
    std::lock_guard lk(impl_->mu);
    for (const auto& [id, e] : impl_->byId) {
        n.total++;
        const std::string& s = e->c.state.status;
        if (s == "running" || s == "restarting")
            n.running++;
        else if (s == "paused")
            n.paused++;
        else
            n.stopped++;
    }
    return n;
}

std::set<std::string> Engine::imagesInUse() const {
    std::set<std::string> out;
    std::lock_guard lk(impl_->mu);
    for (const auto& [id, e] : impl_->byId) out.insert(e->c.imageId);
    return out;
}

std::string Engine::metricsText() const {
    Counts n = counts();
    auto& m = impl_->metrics;
    std::string s;
    s += "# HELP berth_containers Containers by state.\n# TYPE berth_containers gauge\n";
    s += fmt::format("berth_containers{{state=\"running\"}} {}\n", n.running);
    s += fmt::format("berth_containers{{state=\"paused\"}} {}\n", n.paused);
    s += fmt::format("berth_containers{{state=\"stopped\"}} {}\n", n.stopped);
    s += "# HELP berth_container_starts_total Container starts.\n"
         "# TYPE berth_container_starts_total counter\n";
    s += fmt::format("berth_container_starts_total {}\n", m.starts.load());
    s += "# HELP berth_container_restarts_total Restarts by restart policy.\n"
         "# TYPE berth_container_restarts_total counter\n";
    s += fmt::format("berth_container_restarts_total {}\n", m.restarts.load());
    s += "# HELP berth_container_exits_total Container exits.\n"
         "# TYPE berth_container_exits_total counter\n";
    s += fmt::format("berth_container_exits_total {}\n", m.exits.load());
    return s;
}

void Engine::shutdown() {
    impl_->shuttingDown = true;
    if (impl_->watcher) impl_->watcher->stop();
    std::vector<std::shared_ptr<Entry>> entries;
    {
        std::lock_guard lk(impl_->mu);
        for (auto& [id, e] : impl_->byId) entries.push_back(e);
    }
    for (auto& e : entries) {
        std::unique_lock lk(e->mu);
        impl_->stopHealth(*e, lk);
    }
}

}  // namespace berth::engine
