// Bringing a compose project to its model: networks, volumes, images, containers, in order.
#include "cli/compose/up.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "cli/client.h"
#include "cli/verbs/image_context.h"
#include "cli/verbs/util.h"
#include "compose/convert.h"
#include "compose/graph.h"
#include "compose/hash.h"
#include "compose/labels.h"

namespace berth::cli::compose {

namespace lbl = berth::compose::label;

namespace {

using Clock = std::chrono::steady_clock;

// What this run created, removed again when it fails.
struct Made {
    std::mutex mu;
    std::vector<std::string> containers, networks, volumes;
    void add(std::vector<std::string>& v, const std::string& x) {
        std::lock_guard lock(mu);
        v.push_back(x);
    }
};

void rollback(Ctx& ctx, Made& made) {
    for (auto it = made.containers.rbegin(); it != made.containers.rend(); ++it)
        (void)removeContainer(ctx, *it, true, true);
    for (auto& n : made.networks) {
        Request r;
        r.method = "DELETE";
        r.path = "/networks/" + urlEncode(n);
        (void)apiCall(ctx, std::move(r));
    }
    for (auto& v : made.volumes) {
        Request r;
        r.method = "DELETE";
        r.path = "/volumes/" + urlEncode(v);
        (void)apiCall(ctx, std::move(r));
    }
}

std::string labelOf(const json& obj, const std::string& key) {
    if (!obj.contains("Labels") || !obj["Labels"].is_object()) return {};
    auto it = obj["Labels"].find(key);
    return it != obj["Labels"].end() && it->is_string() ? it->get<std::string>() : "";
}

Status ensureNetworks(Ctx& ctx, const model::Project& p, const std::vector<std::string>& services,
                      Made& made) {
    std::set<std::string> keys;
    for (auto& svc : services)
        for (auto& k : model::serviceNetworkKeys(p, svc)) keys.insert(k);
    for (auto& key : keys) {
        if (!p.model.contains("networks") || !p.model["networks"].contains(key))
            return invalid("service network \"{}\" is not declared", key);
        const json& n = p.model["networks"][key];
        std::string name = model::networkName(p, key);
        json cur = TRY(inspectOrNull(ctx, "/networks/" + urlEncode(name)));
        bool external = n.value("external", false);
        if (!cur.is_null()) {
            std::string owner = labelOf(cur, lbl::kProject);
            if (!external && !owner.empty() && owner != p.name)
                ctx.err(
                    fmt::format("WARN[0000] a network with name {} exists but was not created "
                                "for project \"{}\"\n",
                                name, p.name));
            continue;
        }
        if (external)
            return invalid("network {} declared as external, but could not be found", name);
        event(ctx, "Network", name, "Creating");
        TRY(apiPost(ctx, "/networks/create", model::networkCreateBody(p, key)));
        made.add(made.networks, name);
        event(ctx, "Network", name, "Created");
    }
    return {};
}

Status ensureVolumes(Ctx& ctx, const model::Project& p, const std::vector<std::string>& services,
                     Made& made) {
    if (!p.model.contains("volumes")) return {};
    std::set<std::string> keys;
    for (auto& svc : services) {
        const json& s = p.model["services"][svc];
        if (!s.contains("volumes")) continue;
        for (auto& v : s["volumes"]) {
            if (v.value("type", "") != "volume" || !v.contains("source")) continue;
            std::string src = v["source"].get<std::string>();
            if (p.model["volumes"].contains(src)) keys.insert(src);
        }
    }
    for (auto& key : keys) {
        const json& v = p.model["volumes"][key];
        std::string name = model::volumeName(p, key);
        json cur = TRY(inspectOrNull(ctx, "/volumes/" + urlEncode(name)));
        if (!cur.is_null()) continue;
        if (v.value("external", false)) return invalid("external volume \"{}\" not found", name);
        event(ctx, "Volume", name, "Creating");
        TRY(apiPost(ctx, "/volumes/create", model::volumeCreateBody(p, key)));
        made.add(made.volumes, name);
        event(ctx, "Volume", name, "Created");
    }
    return {};
}

// Creates container `number` of svc (connected to all its networks, secrets uploaded).
// A replacement (`replaces` set) is not rolled back: the container it replaces is gone.
Result<std::string> createOne(Ctx& ctx, const model::Project& p, const std::string& svc, int number,
                              const std::string& imageId, const std::string& replaces, Made& made) {
    model::CreateOptions co;
    co.imageId = imageId;
    co.replaces = replaces;
    json body = TRY(model::containerCreateBody(p, svc, number, co));
    std::string name = model::containerName(p, svc, number);
    event(ctx, "Container", name, "Creating");
    std::string id = TRY(createContainer(ctx, name, body));
    if (replaces.empty()) made.add(made.containers, id);
    auto keys = model::serviceNetworkKeys(p, svc);
    for (size_t i = 1; i < keys.size(); i++)
        TRY(connectNetwork(ctx, model::networkName(p, keys[i]), id,
                           model::endpointConfig(p, svc, keys[i], false)));
    for (auto& f : TRY(model::injectedFiles(p, svc))) {
        std::string rel = f.path.substr(f.path.find_first_not_of('/'));
        std::string tar = TRY(tarSingleFile(rel, f.content, f.mode, f.uid, f.gid));
        TRY_CTX(putArchive(ctx, id, "/", tar), "provide {} to {}", f.path, name);
    }
    event(ctx, "Container", name, "Created");
    return id;
}

// Waits for svc's depends_on conditions on the services started before it.
// Sleeps until the project's next event (or polls when there is no event stream).
void nextLook(ProjectEvents* ev, uint64_t seen) {
    if (ev)
        ev->wait(seen);
    else
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

Status waitDependencies(Ctx& ctx, const model::Project& p, const std::string& svc,
                        const std::set<std::string>& inRun, ProjectEvents* ev) {
    const json& s = p.model["services"][svc];
    if (!s.contains("depends_on")) return {};
    for (auto& [dep, d] : s["depends_on"].items()) {
        std::string cond = d.value("condition", "service_started");
        if (cond == "service_started" || !inRun.count(dep)) continue;
        auto ctrs = TRY(listContainers(ctx, p.name, true, {dep}));
        for (auto& c : ctrs) {
            bool reported = false;
            for (;;) {
                uint64_t seen = ev ? ev->seq() : 0;
                json st = TRY(inspectContainer(ctx, c.id))["State"];
                std::string status = st.value("Status", "");
                if (cond == "service_healthy") {
                    std::string h = st.contains("Health") ? st["Health"].value("Status", "") : "";
                    if (h.empty() && status == "running")
                        return invalid(
                            "dependency failed to start: container {} has no "
                            "healthcheck configured",
                            c.name);
                    if (h == "healthy") {
                        event(ctx, "Container", c.name, "Healthy");
                        break;
                    }
                    if (h == "unhealthy")
                        return invalid("dependency failed to start: container {} is unhealthy",
                                       c.name);
                    if (status == "exited" || status == "dead")
                        return invalid("dependency failed to start: container {} exited ({})",
                                       c.name, st.value("ExitCode", 0));
                } else {  // service_completed_successfully
                    if (status == "exited" || status == "dead") {
                        int code = st.value("ExitCode", 0);
                        if (code != 0)
                            return invalid("service \"{}\" didn't complete successfully: exit {}",
                                           dep, code);
                        event(ctx, "Container", c.name, "Exited");
                        break;
                    }
                }
                if (!reported) {
                    event(ctx, "Container", c.name, "Waiting");
                    reported = true;
                }
                nextLook(ev, seen);
            }
        }
    }
    return {};
}

// Brings one service to its model: scale, recreate on change, start.
// What the services of one run did, for depends_on's `restart: true`.
struct RunState {
    std::mutex mu;
    std::set<std::string> renewed;  // services with a container created or recreated
};

// True when a dependency that svc wants to follow (`restart: true`) got new containers.
bool followsRenewed(const model::Project& p, const std::string& svc, RunState& rs) {
    std::lock_guard lock(rs.mu);
    const json& s = p.model["services"][svc];
    if (!s.contains("depends_on")) return false;
    for (auto& [dep, d] : s["depends_on"].items())
        if (d.value("restart", false) && rs.renewed.count(dep)) return true;
    return false;
}

// True when svc joins the network of a service (network_mode "service:x") whose container was
// replaced: the namespace it joined is gone with it, so its containers are recreated too (as
// docker compose does).
bool joinsRenewedNetwork(const model::Project& p, const std::string& svc, RunState& rs) {
    std::string mode = p.model["services"][svc].value("network_mode", "");
    if (!mode.starts_with("service:")) return false;
    std::lock_guard lock(rs.mu);
    return rs.renewed.count(mode.substr(8)) != 0;
}

Status convergeService(Ctx& ctx, const model::Project& p, const std::string& svc,
                       const UpOptions& o, const std::string& imageId, Made& made,
                       std::vector<Ctr>& out, std::mutex& outMu, RunState& rs) {
    bool restartKept = followsRenewed(p, svc, rs);
    bool networkGone = joinsRenewedNetwork(p, svc, rs);
    const json& s = p.model["services"][svc];
    int want = o.scale.count(svc) ? o.scale.at(svc) : s.value("scale", 1);
    std::string hash = model::configHash(s);
    auto existing = TRY(listContainers(ctx, p.name, true, {svc}));
    std::vector<Ctr> keep, drop;
    for (auto& c : existing) (static_cast<int>(keep.size()) < want ? keep : drop).push_back(c);
    std::reverse(drop.begin(), drop.end());
    for (auto& c : drop) {
        if (c.state == "running" || c.state == "paused" || c.state == "restarting") {
            event(ctx, "Container", c.name, "Stopping");
            TRY(stopContainer(ctx, c.id, stopTimeout(s, o.timeout)));
            event(ctx, "Container", c.name, "Stopped");
        }
        event(ctx, "Container", c.name, "Removing");
        TRY(removeContainer(ctx, c.id, true, false));
        event(ctx, "Container", c.name, "Removed");
    }
    // Plan: keep (maybe recreate) the first `want`, then create the missing numbers.
    struct Step {
        std::optional<Ctr> old;
        int number = 0;
    };
    std::vector<Step> steps;
    std::set<int> used;
    for (auto& c : keep) {
        used.insert(c.number);
        steps.push_back({c, c.number});
    }
    for (int n = 1; static_cast<int>(steps.size()) < want; n++)
        if (!used.count(n)) steps.push_back({std::nullopt, n});
    return parallel(ctx, steps.size(), [&](Ctx& c, size_t i) -> Status {
        const Step& st = steps[i];
        std::string id;
        bool fresh = false;
        if (st.old) {
            const Ctr& old = *st.old;
            bool changed = old.hash() != hash || networkGone ||
                           (!imageId.empty() && old.label(lbl::kImage) != imageId);
            if (o.forceRecreate || (changed && !o.noRecreate)) {
                event(c, "Container", old.name, "Recreate");
                if (old.state == "running" || old.state == "paused" || old.state == "restarting")
                    TRY(stopContainer(c, old.id, stopTimeout(s, o.timeout)));
                TRY(renameContainer(c, old.id, old.id.substr(0, 12) + "_" + old.name));
                id = TRY(createOne(c, p, svc, old.number, imageId, old.id, made));
                TRY(removeContainer(c, old.id, true, false));
                event(c, "Container", old.name, "Recreated");
                fresh = true;
            } else {
                id = old.id;
                if (old.state == "running" && restartKept && !o.noStart) {
                    // A dependency it follows (`restart: true`) was recreated.
                    event(c, "Container", old.name, "Restarting");
                    auto t = stopTimeout(s, o.timeout);
                    TRY(apiPost(c,
                                "/containers/" + id + "/restart" +
                                    query({{"t", t ? std::to_string(*t) : ""}}),
                                nullptr));
                    event(c, "Container", old.name, "Started");
                } else if (old.state == "running") {
                    event(c, "Container", old.name, "Running");
                }
            }
            if (fresh) {
                std::lock_guard lock(rs.mu);
                rs.renewed.insert(svc);
            }
        } else {
            id = TRY(createOne(c, p, svc, st.number, imageId, "", made));
            fresh = true;
        }
        std::string name = model::containerName(p, svc, st.number);
        bool running = !fresh && st.old && st.old->state == "running";
        if (!o.noStart && !running) {
            if (!fresh && st.old->state == "paused") {
                TRY(apiPost(c, "/containers/" + id + "/unpause", nullptr));
            } else {
                event(c, "Container", name, "Starting");
                TRY(startContainer(c, id));
                event(c, "Container", name, "Started");
            }
        }
        Ctr r;
        r.id = id;
        r.name = name;
        r.service = svc;
        r.number = st.number;
        r.state = "running";
        std::lock_guard lock(outMu);
        out.push_back(std::move(r));
        return {};
    });
}

Status handleOrphans(Ctx& ctx, const model::Project& p, const UpOptions& o) {
    auto all = TRY(listContainers(ctx, p.name, true));
    std::vector<Ctr> orphans;
    for (auto& c : all)
        if (!p.model["services"].contains(c.service) &&
            std::find(p.disabledServices.begin(), p.disabledServices.end(), c.service) ==
                p.disabledServices.end())
            orphans.push_back(c);
    if (orphans.empty()) return {};
    if (!o.removeOrphans) {
        std::string names;
        for (auto& c : orphans) names += (names.empty() ? "" : " ") + c.name;
        ctx.err(fmt::format(
            "WARN[0000] Found orphan containers ([{}]) for this project. If you removed or renamed "
            "this service in your compose file, you can run this command with the "
            "--remove-orphans flag to clean it up.\n",
            names));
        return {};
    }
    return parallel(ctx, orphans.size(), [&](Ctx& c, size_t i) -> Status {
        event(c, "Container", orphans[i].name, "Removing");
        TRY(removeContainer(c, orphans[i].id, true, false));
        event(c, "Container", orphans[i].name, "Removed");
        return {};
    });
}

}  // namespace

Result<UpResult> converge(Ctx& ctx, const model::Project& p, const UpOptions& o) {
    for (auto& [svc, n] : o.scale) {
        if (!p.model["services"].contains(svc)) return invalid("no such service: {}", svc);
        if (n < 0) return invalid("invalid scale for service {}: {}", svc, n);
    }
    auto levels = TRY(model::startLevels(p.model, o.services, !o.noDeps));
    UpResult res;
    for (auto& l : levels) res.services.insert(res.services.end(), l.begin(), l.end());
    std::set<std::string> inRun(res.services.begin(), res.services.end());
    Made made;
    std::mutex outMu;
    RunState rs;
    std::map<std::string, std::string> images;
    // Waits (depends_on conditions, --wait) look again at each event of the project.
    std::optional<ProjectEvents> events;
    if (!o.noStart) events.emplace(ctx, p.name);
    ProjectEvents* ev = events ? &*events : nullptr;
    auto run = [&]() -> Status {
        // Images first (as docker compose): a bad image fails before anything is created.
        for (auto& svc : res.services) {
            auto odd = model::unsupportedServiceKeys(p.model["services"][svc]);
            if (!odd.empty()) {
                std::string keys;
                for (auto& k : odd) keys += (keys.empty() ? "" : ", ") + k;
                ctx.err(fmt::format("WARN[0000] service \"{}\": berthd ignores {}\n", svc, keys));
            }
            images[svc] = TRY(ensureImage(ctx, p, svc, o.images));
        }
        TRY(handleOrphans(ctx, p, o));
        TRY(ensureNetworks(ctx, p, res.services, made));
        TRY(ensureVolumes(ctx, p, res.services, made));
        for (auto& level : levels) {
            TRY(parallel(ctx, level.size(), [&](Ctx& c, size_t i) -> Status {
                if (!o.noStart) TRY(waitDependencies(c, p, level[i], inRun, ev));
                return convergeService(c, p, level[i], o, images.at(level[i]), made, res.containers,
                                       outMu, rs);
            }));
        }
        return {};
    };
    if (auto st = run(); !st) {
        rollback(ctx, made);
        return std::move(st).error();
    }
    std::vector<Ctr> sorted;
    for (auto& svc : res.services) {
        size_t from = sorted.size();
        for (auto& c : res.containers)
            if (c.service == svc) sorted.push_back(c);
        std::sort(sorted.begin() + static_cast<long>(from), sorted.end(),
                  [](const Ctr& a, const Ctr& b) { return a.number < b.number; });
    }
    res.containers = std::move(sorted);
    if (o.wait && !o.noStart) TRY(waitReady(ctx, p, res.containers, o.waitTimeoutSec, ev));
    return res;
}

Result<std::string> prepareOneoff(Ctx& ctx, const model::Project& p, const std::string& svc,
                                  const UpOptions& o) {
    std::set<std::string> inRun;
    if (!o.noDeps) {
        auto deps = TRY(model::startOrder(p.model, {svc}, true));
        std::erase(deps, svc);
        if (!deps.empty()) {
            UpOptions d = o;
            d.services = deps;
            d.scale.clear();
            auto r = TRY(converge(ctx, p, d));
            inRun.insert(r.services.begin(), r.services.end());
        }
    }
    Made made;
    auto st = [&]() -> Status {
        TRY(ensureNetworks(ctx, p, {svc}, made));
        TRY(ensureVolumes(ctx, p, {svc}, made));
        ProjectEvents events(ctx, p.name);
        return waitDependencies(ctx, p, svc, inRun, &events);
    }();
    if (!st) {
        rollback(ctx, made);
        return std::move(st).error();
    }
    return ensureImage(ctx, p, svc, o.images);
}

Status waitReady(Ctx& ctx, const model::Project& p, const std::vector<Ctr>& containers,
                 int timeoutSec, ProjectEvents* ev) {
    // Services some other service waits on to complete may exit 0.
    std::set<std::string> mayExit;
    for (auto& [name, s] : p.model["services"].items())
        if (s.contains("depends_on"))
            for (auto& [dep, d] : s["depends_on"].items())
                if (d.value("condition", "") == "service_completed_successfully")
                    mayExit.insert(dep);
    auto deadline = Clock::now() + std::chrono::seconds(timeoutSec);
    std::vector<bool> done(containers.size(), false);
    for (auto& c : containers) event(ctx, "Container", c.name, "Waiting");
    for (;;) {
        uint64_t seen = ev ? ev->seq() : 0;
        bool all = true;
        for (size_t i = 0; i < containers.size(); i++) {
            if (done[i]) continue;
            const Ctr& c = containers[i];
            json st = TRY(inspectContainer(ctx, c.id))["State"];
            std::string status = st.value("Status", "");
            std::string h = st.contains("Health") && st["Health"].is_object()
                                ? st["Health"].value("Status", "")
                                : "";
            if (status == "exited" || status == "dead") {
                int code = st.value("ExitCode", 0);
                if (code == 0 && mayExit.count(c.service)) {
                    event(ctx, "Container", c.name, "Exited");
                    done[i] = true;
                    continue;
                }
                return invalid("container {} exited ({})", c.name, code);
            }
            if (h == "unhealthy") return invalid("container {} is unhealthy", c.name);
            if (status == "running" && (h.empty() || h == "healthy")) {
                event(ctx, "Container", c.name, h.empty() ? "Started" : "Healthy");
                done[i] = true;
                continue;
            }
            all = false;
        }
        if (all) return {};
        if (timeoutSec > 0 && Clock::now() > deadline)
            return invalid("timeout waiting for the project's containers to be healthy");
        nextLook(ev, seen);
    }
}

}  // namespace berth::cli::compose
