// compose up, down, create, start, stop, restart, kill, rm, pause, unpause.
#include <csignal>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "cli/compose/logs.h"
#include "cli/compose/up.h"
#include "cli/compose/verbs.h"
#include "cli/verbs/util.h"
#include "compose/convert.h"
#include "compose/graph.h"
#include "compose/labels.h"

namespace berth::cli::compose {

namespace lbl = berth::compose::label;

namespace {

std::atomic<int> gSignals{0};

void onSignal(int) {
    gSignals++;
}

Result<std::map<std::string, int>> parseScale(const std::vector<std::string>& list) {
    std::map<std::string, int> m;
    for (auto& s : list) {
        auto eq = s.find('=');
        if (eq == std::string::npos) return invalid("invalid --scale {}: expected SERVICE=NUM", s);
        char* end = nullptr;
        long n = std::strtol(s.c_str() + eq + 1, &end, 10);
        if (*end || eq + 1 == s.size() || n < 0)
            return invalid("invalid --scale {}: expected SERVICE=NUM", s);
        m[s.substr(0, eq)] = static_cast<int>(n);
    }
    return m;
}

std::optional<int> timeoutFlag(const Flags& f) {
    if (!f.changed("timeout")) return std::nullopt;
    return static_cast<int>(f.i("timeout"));
}

// The project's containers of `services` (all when empty), grouped for stopping: dependents
// before what they depend on, independent services together (containers the model does not
// know, orphans, go first).
Result<std::vector<std::vector<Ctr>>> stopGroups(Ctx& ctx, const model::Project& p,
                                                 const std::vector<std::string>& services, bool all,
                                                 Oneoff oneoff = Oneoff::Exclude) {
    auto ctrs = TRY(listContainers(ctx, p.name, all, services, oneoff));
    std::vector<std::vector<std::string>> levels;
    if (p.model.contains("services"))
        if (auto l = model::startLevels(p.model, {}, false)) levels = *l;
    std::reverse(levels.begin(), levels.end());
    std::vector<std::vector<Ctr>> groups(levels.size() + 1);
    for (auto& c : ctrs) {
        size_t g = 0;
        for (size_t i = 0; i < levels.size(); i++)
            if (std::find(levels[i].begin(), levels[i].end(), c.service) != levels[i].end())
                g = i + 1;
        groups[g].push_back(c);
    }
    std::erase_if(groups, [](const std::vector<Ctr>& g) { return g.empty(); });
    return groups;
}

// Runs op over the groups in order, the containers of a group in parallel.
Status byGroup(Ctx& ctx, const std::vector<std::vector<Ctr>>& groups,
               const std::function<Status(Ctx&, const Ctr&)>& op) {
    for (auto& g : groups)
        TRY(parallel(ctx, g.size(), [&](Ctx& c, size_t k) { return op(c, g[k]); }));
    return {};
}

json serviceOf(const model::Project& p, const std::string& svc) {
    if (p.model.contains("services") && p.model["services"].contains(svc))
        return p.model["services"][svc];
    return json::object();
}

Status stopAll(Ctx& ctx, const model::Project& p, const std::vector<std::vector<Ctr>>& groups,
               std::optional<int> timeout) {
    return byGroup(ctx, groups, [&](Ctx& c, const Ctr& x) -> Status {
        if (x.state != "running" && x.state != "paused" && x.state != "restarting" &&
            !x.state.empty())
            return {};
        event(c, "Container", x.name, "Stopping");
        TRY(stopContainer(c, x.id, stopTimeout(serviceOf(p, x.service), timeout)));
        event(c, "Container", x.name, "Stopped");
        return {};
    });
}

void addUpFlags(Flags& f, bool create) {
    f.boolean("build", 0, "Build images before starting containers");
    f.boolean("force-recreate", 0,
              "Recreate containers even if their configuration and image haven't changed");
    f.boolean("no-build", 0, "Don't build an image, even if it's policy");
    f.boolean("no-recreate", 0,
              "If containers already exist, don't recreate them. Incompatible with "
              "--force-recreate.");
    f.string("pull", 0, "policy", "Pull image before running (\"always\"|\"missing\"|\"never\")");
    f.boolean("quiet-pull", 0, "Pull without printing progress information");
    f.boolean("remove-orphans", 0,
              "Remove containers for services not defined in the Compose file");
    f.list("scale", 0,
           "Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file "
           "if present.",
           "scale");
    if (create) return;
    f.boolean("abort-on-container-exit", 0,
              "Stops all containers if any container was stopped. Incompatible with -d");
    f.boolean("detach", 'd', "Detached mode: Run containers in the background");
    f.string("exit-code-from", 0, "",
             "Return the exit code of the selected service container. Implies "
             "--abort-on-container-exit");
    f.boolean("no-color", 0, "Produce monochrome output");
    f.boolean("no-deps", 0, "Don't start linked services");
    f.boolean("no-log-prefix", 0, "Don't print prefix in logs");
    f.boolean("no-start", 0, "Don't start the services after creating them");
    f.integer("timeout", 't', 0,
              "Use this timeout in seconds for container shutdown when attached or when "
              "containers are already running")
        .noDefault();
    f.boolean("timestamps", 0, "Show timestamps");
    f.boolean("wait", 0, "Wait for services to be running|healthy. Implies detached mode.");
    f.integer("wait-timeout", 0, 0,
              "Maximum duration in seconds to wait for the project to be "
              "running|healthy")
        .noDefault();
}

Result<UpOptions> upOptions(const Flags& f, bool create) {
    UpOptions o;
    o.services = f.args();
    o.forceRecreate = f.b("force-recreate");
    o.noRecreate = f.b("no-recreate");
    if (o.forceRecreate && o.noRecreate)
        return invalid("--force-recreate and --no-recreate are incompatible");
    o.removeOrphans = f.b("remove-orphans");
    o.images.quietPull = f.b("quiet-pull");
    o.scale = TRY(parseScale(f.l("scale")));
    o.images.build = f.b("build");
    o.images.noBuild = f.b("no-build");
    if (o.images.build && o.images.noBuild)
        return invalid("--build and --no-build are incompatible");
    if (f.s("pull") != "policy") o.images.pull = f.s("pull");
    if (create) {
        o.noStart = true;
        return o;
    }
    o.noDeps = f.b("no-deps");
    o.noStart = f.b("no-start");
    o.timeout = timeoutFlag(f);
    o.wait = f.b("wait");
    o.waitTimeoutSec = static_cast<int>(f.i("wait-timeout"));
    return o;
}

Result<int> runUp(Ctx& ctx, const Flags& f) {
    auto o = TRY(upOptions(f, false));
    bool detach = f.b("detach") || o.wait;
    std::string exitFrom = f.s("exit-code-from");
    bool abort = f.b("abort-on-container-exit") || !exitFrom.empty();
    if (detach && abort) return invalid("--abort-on-container-exit and --detach are incompatible");
    auto p = TRY(loadProject(ctx, {.services = o.services}));
    if (!exitFrom.empty() && !p.model["services"].contains(exitFrom))
        return invalid("no such service: {}", exitFrom);
    auto res = TRY(converge(ctx, p, o));
    if (detach || o.noStart) return 0;

    // Foreground: the logs of the services named (all when none) until their containers stop,
    // or Ctrl-C stops them.
    std::vector<Ctr> attached;
    for (auto& c : res.containers)
        if (o.services.empty() ||
            std::find(o.services.begin(), o.services.end(), c.service) != o.services.end())
            attached.push_back(c);
    LogOptions lo;
    lo.follow = true;
    lo.colour = !f.b("no-color") && useColour(ctx);
    lo.prefix = !f.b("no-log-prefix");
    lo.timestamps = f.b("timestamps");
    LogPrinter printer(ctx, lo);
    std::string names;
    for (auto& c : attached) {
        names += (names.empty() ? "" : ", ") + c.name;
        printer.reserveWidth(c.name.size());
    }
    ctx.out("Attaching to " + names + "\n");
    gSignals = 0;
    struct sigaction sa {
    }, oldInt{}, oldTerm{};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &oldInt);
    ::sigaction(SIGTERM, &sa, &oldTerm);
    std::mutex mu;
    std::vector<std::string> exited;  // container ids, in the order their streams ended
    for (auto& c : attached) {
        LogSource src{c.id, c.name, c.service, serviceOf(p, c.service).value("tty", false), ""};
        printer.add(src, [&](const LogSource& s) {
            std::lock_guard lock(mu);
            exited.push_back(s.id);
        });
    }
    int code = 0;
    bool stopping = false;
    size_t reported = 0;
    // Reports the streams that ended since the last call ("x exited with code N"); with
    // --abort-on-container-exit the first exit stops everything.
    auto reportExits = [&] {
        std::vector<std::string> ended;
        {
            std::lock_guard lock(mu);
            ended.assign(exited.begin() + static_cast<long>(reported), exited.end());
            reported = exited.size();
        }
        for (auto& id : ended) {
            auto st = inspectContainer(ctx, id);
            if (!st) continue;
            int ec = (*st)["State"].value("ExitCode", 0);
            std::string name = (*st).value("Name", id);
            if (!name.empty() && name[0] == '/') name.erase(0, 1);
            if (!stopping) ctx.out(fmt::format("{} exited with code {}\n", name, ec));
            if (abort && !stopping) {
                // The code is that container's unless --exit-code-from names a service (read
                // at the end).
                code = ec;
                ctx.err("Aborting on container exit...\n");
                stopping = true;
            }
        }
    };
    auto killAll = [&] {
        for (auto& c : res.containers) (void)killContainer(ctx, c.id, "SIGKILL");
    };
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        reportExits();
        if (gSignals > 1) {
            ctx.err("Killing...\n");
            killAll();
            code = 130;
            break;
        }
        if (gSignals == 1 && !stopping) {
            ctx.err("Gracefully stopping... (press Ctrl+C again to force)\n");
            stopping = true;
            code = 130;
        }
        if (stopping) {
            auto groups = TRY(stopGroups(ctx, p, res.services, false));
            // The stopper has a connection of its own: this thread may send kills meanwhile.
            std::thread t([&] {
                Ctx own(ctx.globals());
                own.outFd = ctx.outFd;
                own.errFd = ctx.errFd;
                own.parentFlags = ctx.parentFlags;
                (void)stopAll(own, p, groups, o.timeout);
            });
            while (printer.running() > 0 && gSignals < 2)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (gSignals >= 2) killAll();
            t.join();
            break;
        }
        if (printer.running() == 0) break;
    }
    printer.wait();
    reportExits();
    ::sigaction(SIGINT, &oldInt, nullptr);
    ::sigaction(SIGTERM, &oldTerm, nullptr);
    if (!exitFrom.empty()) {
        auto ctrs = TRY(listContainers(ctx, p.name, true, {exitFrom}));
        if (!ctrs.empty()) {
            json st = TRY(inspectContainer(ctx, ctrs.front().id));
            code = st["State"].value("ExitCode", 0);
        }
    }
    return code;
}

Result<int> runCreate(Ctx& ctx, const Flags& f) {
    auto o = TRY(upOptions(f, true));
    auto p = TRY(loadProject(ctx, {.services = o.services}));
    TRY(converge(ctx, p, o));
    return 0;
}

Result<int> runDown(Ctx& ctx, const Flags& f) {
    model::Project p;
    std::string name = TRY(projectNameOnly(ctx, &p));
    p.name = name;
    std::string rmi = f.s("rmi");
    if (!rmi.empty() && rmi != "all" && rmi != "local")
        return invalid("invalid --rmi option \"{}\": must be \"all\" or \"local\"", rmi);
    bool volumes = f.b("volumes");
    bool removeOrphans = f.b("remove-orphans");
    // One-off `run` containers only with --remove-orphans (a `run` may still be going on).
    auto groups =
        TRY(stopGroups(ctx, p, f.args(), true, removeOrphans ? Oneoff::Include : Oneoff::Exclude));
    std::vector<Ctr> orphans;
    for (auto& g : groups) {
        std::erase_if(g, [&](const Ctr& c) {
            bool known = !p.model.contains("services") || p.model["services"].contains(c.service) ||
                         std::find(p.disabledServices.begin(), p.disabledServices.end(),
                                   c.service) != p.disabledServices.end();
            if (!known) orphans.push_back(c);
            return !known && !removeOrphans;
        });
    }
    if (!removeOrphans && !orphans.empty()) {
        std::string names;
        for (auto& c : orphans) names += (names.empty() ? "" : " ") + c.name;
        ctx.err(fmt::format(
            "WARN[0000] Found orphan containers ([{}]) for this project. If you removed or renamed "
            "this service in your compose file, you can run this command with the "
            "--remove-orphans flag to clean it up.\n",
            names));
    }
    auto timeout = timeoutFlag(f);
    TRY(byGroup(ctx, groups, [&](Ctx& c, const Ctr& x) -> Status {
        if (x.state == "running" || x.state == "paused" || x.state == "restarting") {
            event(c, "Container", x.name, "Stopping");
            TRY(stopContainer(c, x.id, stopTimeout(serviceOf(p, x.service), timeout)));
            event(c, "Container", x.name, "Stopped");
        }
        event(c, "Container", x.name, "Removing");
        TRY(removeContainer(c, x.id, true, volumes));
        event(c, "Container", x.name, "Removed");
        return {};
    }));
    // With services named, only their containers go.
    if (!f.args().empty()) return 0;
    // Networks and volumes: those labelled as the project's (a network of the same name made by
    // someone else stays). One still in use is a warning, as docker compose's.
    json filters = {{"label", json::array({std::string(lbl::kProject) + "=" + name})}};
    auto removeEach = [&](const char* kind, const std::string& base,
                          const std::vector<std::string>& names) {
        return parallel(ctx, names.size(), [&](Ctx& c, size_t i) -> Status {
            event(c, kind, names[i], "Removing");
            Request r;
            r.method = "DELETE";
            r.path = base + urlEncode(names[i]);
            auto st = apiCall(c, std::move(r));
            if (!st && st.error().code == 404) return {};
            if (!st && st.error().code == 409) {
                c.err(fmt::format("WARN[0000] {} {}: resource is still in use\n", kind, names[i]));
                return {};
            }
            if (!st) return std::move(st).error();
            event(c, kind, names[i], "Removed");
            return {};
        });
    };
    std::vector<std::string> nets;
    for (auto& n : TRY(apiGet(ctx, "/networks" + query({{"filters", filters.dump()}}))))
        nets.push_back(n.value("Name", ""));
    // Removing a bridge takes the kernel tens of milliseconds: all of them at once.
    TRY(removeEach("Network", "/networks/", nets));
    if (volumes) {
        std::vector<std::string> vols;
        json vl = TRY(apiGet(ctx, "/volumes" + query({{"filters", filters.dump()}})));
        if (vl.contains("Volumes") && vl["Volumes"].is_array())
            for (auto& v : vl["Volumes"]) vols.push_back(v.value("Name", ""));
        TRY(removeEach("Volume", "/volumes/", vols));
    }
    if (!rmi.empty() && p.model.contains("services")) {
        std::set<std::string> images;
        for (auto& [svc, s] : p.model["services"].items())
            if (rmi == "all" || !s.contains("image")) images.insert(model::serviceImage(p, svc));
        for (auto& img : images) {
            json cur = TRY(inspectOrNull(ctx, "/images/" + urlEncode(img) + "/json"));
            if (cur.is_null()) continue;
            event(ctx, "Image", img, "Removing");
            Request r;
            r.method = "DELETE";
            r.path = "/images/" + urlEncode(img);
            TRY(apiCall(ctx, std::move(r)));
            event(ctx, "Image", img, "Removed");
        }
    }
    return 0;
}

Result<int> runStart(Ctx& ctx, const Flags& f) {
    auto p = TRY(loadProject(ctx, {.services = f.args()}));
    auto order = TRY(model::startOrder(p.model, f.args(), false));
    for (auto& svc : order) {
        auto ctrs = TRY(listContainers(ctx, p.name, true, {svc}));
        TRY(parallel(ctx, ctrs.size(), [&](Ctx& c, size_t i) -> Status {
            if (ctrs[i].state == "running") return {};
            event(c, "Container", ctrs[i].name, "Starting");
            TRY(startContainer(c, ctrs[i].id));
            event(c, "Container", ctrs[i].name, "Started");
            return {};
        }));
    }
    return 0;
}

Result<int> runStop(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    TRY(stopAll(ctx, p, TRY(stopGroups(ctx, p, f.args(), false)), timeoutFlag(f)));
    return 0;
}

Result<int> runRestart(Ctx& ctx, const Flags& f) {
    auto p = TRY(loadProject(ctx, {.services = f.args()}));
    auto order = TRY(model::startOrder(p.model, f.args(), false));
    auto timeout = timeoutFlag(f);
    for (auto& svc : order) {
        auto ctrs = TRY(listContainers(ctx, p.name, true, {svc}));
        TRY(parallel(ctx, ctrs.size(), [&](Ctx& c, size_t i) -> Status {
            event(c, "Container", ctrs[i].name, "Restarting");
            auto t = stopTimeout(serviceOf(p, svc), timeout);
            TRY(apiPost(c,
                        "/containers/" + ctrs[i].id + "/restart" +
                            query({{"t", t ? std::to_string(*t) : ""}}),
                        nullptr));
            event(c, "Container", ctrs[i].name, "Started");
            return {};
        }));
    }
    return 0;
}

Result<int> runKill(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    auto ctrs = TRY(listContainers(ctx, p.name, false, f.args()));
    TRY(parallel(ctx, ctrs.size(), [&](Ctx& c, size_t i) -> Status {
        event(c, "Container", ctrs[i].name, "Killing");
        TRY(killContainer(c, ctrs[i].id, f.s("signal")));
        event(c, "Container", ctrs[i].name, "Killed");
        return {};
    }));
    return 0;
}

Result<int> runRm(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    if (f.b("stop")) TRY(stopAll(ctx, p, TRY(stopGroups(ctx, p, f.args(), false)), std::nullopt));
    auto ctrs = TRY(listContainers(ctx, p.name, true, f.args()));
    std::vector<Ctr> gone;
    for (auto& c : ctrs) {
        if (f.b("stop") || c.state == "exited" || c.state == "created" || c.state == "dead")
            gone.push_back(c);
    }
    if (gone.empty()) {
        ctx.err("No stopped containers\n");
        return 0;
    }
    if (!f.b("force")) {
        std::string names;
        for (auto& c : gone) names += (names.empty() ? "" : ", ") + c.name;
        ctx.err("Going to remove " + names + "\n? Are you sure? (y/N) ");
        char ch = 0;
        if (::read(ctx.inFd, &ch, 1) != 1 || (ch != 'y' && ch != 'Y')) return 0;
    }
    TRY(parallel(ctx, gone.size(), [&](Ctx& c, size_t i) -> Status {
        event(c, "Container", gone[i].name, "Removing");
        TRY(removeContainer(c, gone[i].id, true, f.b("volumes")));
        event(c, "Container", gone[i].name, "Removed");
        return {};
    }));
    return 0;
}

Result<int> pauseOrUnpause(Ctx& ctx, const Flags& f, bool pause) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    auto ctrs = TRY(listContainers(ctx, p.name, false, f.args()));
    TRY(parallel(ctx, ctrs.size(), [&](Ctx& c, size_t i) -> Status {
        event(c, "Container", ctrs[i].name, pause ? "Pausing" : "Unpausing");
        TRY(apiPost(c, "/containers/" + ctrs[i].id + (pause ? "/pause" : "/unpause"), nullptr));
        event(c, "Container", ctrs[i].name, pause ? "Paused" : "Unpaused");
        return {};
    }));
    return 0;
}

Command verb(std::string name, std::string use, std::string help, RunFn run) {
    Command c;
    c.name = std::move(name);
    c.use = std::move(use);
    c.shortHelp = std::move(help);
    c.run = std::move(run);
    return c;
}

}  // namespace

Command cmdUp() {
    Command c = verb("up", "[OPTIONS] [SERVICE...]", "Create and start containers", runUp);
    c.flags = [](Flags& f) { addUpFlags(f, false); };
    return c;
}

Command cmdCreate() {
    Command c =
        verb("create", "[OPTIONS] [SERVICE...]", "Creates containers for a service", runCreate);
    c.flags = [](Flags& f) { addUpFlags(f, true); };
    return c;
}

Command cmdDown() {
    Command c =
        verb("down", "[OPTIONS] [SERVICES]", "Stop and remove containers, networks", runDown);
    c.flags = [](Flags& f) {
        f.boolean("remove-orphans", 0,
                  "Remove containers for services not defined in the Compose file");
        f.string("rmi", 0, "",
                 "Remove images used by services. \"local\" remove only images that don't have a "
                 "custom tag (\"local\"|\"all\")");
        f.integer("timeout", 't', 0, "Specify a shutdown timeout in seconds").noDefault();
        f.boolean("volumes", 'v',
                  "Remove named volumes declared in the \"volumes\" section of the Compose file "
                  "and anonymous volumes attached to containers");
    };
    return c;
}

Command cmdStart() {
    return verb("start", "[SERVICE...]", "Start services", runStart);
}

Command cmdStop() {
    Command c = verb("stop", "[OPTIONS] [SERVICE...]", "Stop services", runStop);
    c.flags = [](Flags& f) {
        f.integer("timeout", 't', 0, "Specify a shutdown timeout in seconds").noDefault();
    };
    return c;
}

Command cmdRestart() {
    Command c = verb("restart", "[OPTIONS] [SERVICE...]", "Restart service containers", runRestart);
    c.flags = [](Flags& f) {
        f.boolean("no-deps", 0, "Don't restart dependent services");
        f.integer("timeout", 't', 0, "Specify a shutdown timeout in seconds").noDefault();
    };
    return c;
}

Command cmdKill() {
    Command c = verb("kill", "[OPTIONS] [SERVICE...]", "Force stop service containers", runKill);
    c.flags = [](Flags& f) {
        f.boolean("remove-orphans", 0,
                  "Remove containers for services not defined in the Compose file");
        f.string("signal", 's', "SIGKILL", "SIGNAL to send to the container");
    };
    return c;
}

Command cmdRm() {
    Command c = verb("rm", "[OPTIONS] [SERVICE...]", "Removes stopped service containers", runRm);
    c.flags = [](Flags& f) {
        f.boolean("force", 'f', "Don't ask to confirm removal");
        f.boolean("stop", 's', "Stop the containers, if required, before removing");
        f.boolean("volumes", 'v', "Remove any anonymous volumes attached to containers");
    };
    return c;
}

Command cmdPause() {
    return verb("pause", "[SERVICE...]", "Pause services",
                [](Ctx& ctx, const Flags& f) { return pauseOrUnpause(ctx, f, true); });
}

Command cmdUnpause() {
    return verb("unpause", "[SERVICE...]", "Unpause services",
                [](Ctx& ctx, const Flags& f) { return pauseOrUnpause(ctx, f, false); });
}

}  // namespace berth::cli::compose
