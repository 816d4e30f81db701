// compose exec and compose run: both end in the plain verbs (`berth exec`, `berth start -a`),
// so TTYs, detach keys, stdin and exit codes behave exactly as theirs.
#include <algorithm>

#include "cli/compose/up.h"
#include "cli/compose/verbs.h"
#include "cli/verbs/image_context.h"
#include "cli/verbs/util.h"
#include "compose/convert.h"
#include "compose/normalize.h"
#include "compose/values.h"

namespace berth::cli::compose {

namespace {

Result<int> runExec(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    const std::string& svc = f.args()[0];
    auto ctrs = TRY(listContainers(ctx, p.name, false, {svc}));
    int idx = static_cast<int>(f.i("index"));
    const Ctr* c = nullptr;
    for (auto& x : ctrs)
        if (x.number == idx) c = &x;
    if (!c) return invalid("service \"{}\" is not running", svc);
    std::vector<std::string> args;
    if (f.b("detach")) {
        args.push_back("--detach");
    } else {
        args.push_back("--interactive");
        if (!f.b("no-TTY") && ctx.inIsTerminal()) args.push_back("--tty");
    }
    for (auto& e : f.l("env")) args.insert(args.end(), {"--env", e});
    if (f.b("privileged")) args.push_back("--privileged");
    if (!f.s("user").empty()) args.insert(args.end(), {"--user", f.s("user")});
    if (!f.s("workdir").empty()) args.insert(args.end(), {"--workdir", f.s("workdir")});
    args.push_back(c->id);
    args.insert(args.end(), f.args().begin() + 1, f.args().end());
    return invokeVerb(ctx, "exec", args);
}

// The service as `run` changes it: -p replaces its ports, -v adds mounts (a relative bind
// source is taken from the project directory), --cap-add/--cap-drop add to its lists.
Status applyRunOverrides(model::Project& p, const std::string& svc, const Flags& f) {
    json& s = p.model["services"][svc];
    if (!f.l("publish").empty()) {
        json ports = json::array();
        for (auto& spec : f.l("publish")) {
            auto entries = model::parsePortSpec(json(spec));
            if (!entries) return std::move(entries).error().wrap("--publish");
            for (auto& e : *entries) ports.push_back(e);
        }
        s["ports"] = ports;
    }
    for (auto& spec : f.l("volume")) {
        auto v = model::parseVolumeSpec(spec);
        if (!v) return std::move(v).error().wrap("--volume");
        if (v->value("type", "") == "bind") {
            auto home = p.env.find("HOME");
            (*v)["source"] =
                model::absolutePath(p.workingDir, (*v)["source"].get<std::string>(),
                                    home == p.env.end() ? std::string("/") : home->second);
        }
        s["volumes"].push_back(*v);
    }
    for (auto [flag, key] : {std::pair{"cap-add", "cap_add"}, std::pair{"cap-drop", "cap_drop"}})
        for (auto& cap : f.l(flag)) s[key].push_back(cap);
    return {};
}

Result<int> runRun(Ctx& ctx, const Flags& f) {
    const std::string svc = f.args()[0];
    if (!f.l("publish").empty() && f.b("service-ports"))
        return invalid("--service-ports and --publish are incompatible");
    if (f.b("build") && f.b("no-build")) return invalid("--build and --no-build are incompatible");
    auto p = TRY(loadProject(ctx, {.services = {svc}}));
    if (!p.model["services"].contains(svc)) return invalid("no such service: {}", svc);
    TRY(applyRunOverrides(p, svc, f));
    UpOptions o;
    o.noDeps = f.b("no-deps");
    o.removeOrphans = f.b("remove-orphans");
    o.images.quietPull = f.b("quiet-pull");
    o.images.build = f.b("build");
    o.images.noBuild = f.b("no-build");
    if (!f.s("pull").empty() && f.s("pull") != "policy") o.images.pull = f.s("pull");
    std::string imageId = TRY(prepareOneoff(ctx, p, svc, o));

    model::CreateOptions co;
    co.imageId = imageId;
    co.oneoff = true;
    co.slug = model::newSlug();
    if (f.args().size() > 1)
        co.commandOverride = std::vector<std::string>(f.args().begin() + 1, f.args().end());
    if (f.changed("entrypoint")) {
        co.entrypointOverride = TRY(model::shellSplit(f.s("entrypoint")));
        // A new entrypoint drops the service's command (docker compose run does the same).
        if (!co.commandOverride) co.commandOverride = std::vector<std::string>{};
    }
    co.extraEnv = f.l("env");
    for (auto& l : f.l("label")) {
        auto eq = l.find('=');
        co.extraLabels.emplace_back(l.substr(0, eq),
                                    eq == std::string::npos ? "" : l.substr(eq + 1));
    }
    if (f.changed("user")) co.user = f.s("user");
    if (f.changed("workdir")) co.workingDir = f.s("workdir");
    bool detach = f.b("detach");
    bool interactive = !detach && f.b("interactive");
    co.tty = !detach && (f.changed("no-TTY") ? !f.b("no-TTY")
                         : f.changed("tty")  ? f.b("tty")
                                             : ctx.inIsTerminal());
    co.interactive = interactive;
    co.attachStdin = interactive;
    co.publishPorts = f.b("service-ports") || !f.l("publish").empty();
    co.useAliases = f.b("use-aliases");
    json body = TRY(model::containerCreateBody(p, svc, 1, co));
    std::string name =
        f.s("name").empty() ? model::oneoffContainerName(p, svc, co.slug) : f.s("name");
    std::string id = TRY(createContainer(ctx, name, body));
    auto cleanup = [&] {
        if (f.b("rm")) (void)removeContainer(ctx, id, true, true);
    };
    auto prepared = [&]() -> Status {
        auto keys = model::serviceNetworkKeys(p, svc);
        for (size_t i = 1; i < keys.size(); i++)
            TRY(connectNetwork(ctx, model::networkName(p, keys[i]), id,
                               model::endpointConfig(p, svc, keys[i], !co.useAliases)));
        for (auto& file : TRY(model::injectedFiles(p, svc))) {
            std::string rel = file.path.substr(file.path.find_first_not_of('/'));
            TRY(putArchive(ctx, id, "/",
                           TRY(tarSingleFile(rel, file.content, file.mode, file.uid, file.gid))));
        }
        return {};
    }();
    if (!prepared) {
        (void)removeContainer(ctx, id, true, true);
        return std::move(prepared).error();
    }
    if (detach) {
        auto st = startContainer(ctx, id);
        if (!st) {
            cleanup();
            return std::move(st).error();
        }
        ctx.out(id + "\n");
        return 0;
    }
    std::vector<std::string> args{"--attach"};
    if (interactive) args.push_back("--interactive");
    args.push_back(id);
    auto r = invokeVerb(ctx, "start", args);
    cleanup();
    return r;
}

}  // namespace

Command cmdExec() {
    Command c;
    c.name = "exec";
    c.use = "[OPTIONS] SERVICE COMMAND [ARGS...]";
    c.shortHelp = "Execute a command in a running container";
    c.minArgs = 2;
    c.interspersed = false;
    c.flags = [](Flags& f) {
        f.boolean("detach", 'd', "Detached mode: Run command in the background");
        f.list("env", 'e', "Set environment variables", "stringArray");
        f.integer("index", 0, 1, "Index of the container if service has multiple replicas");
        f.boolean("no-TTY", 'T',
                  "Disable pseudo-TTY allocation. By default `berth compose exec` allocates a "
                  "TTY.");
        f.boolean("privileged", 0, "Give extended privileges to the process");
        f.string("user", 'u', "", "Run the command as this user");
        f.string("workdir", 'w', "", "Path to workdir directory for this command");
    };
    c.run = runExec;
    return c;
}

Command cmdRun() {
    Command c;
    c.name = "run";
    c.use = "[OPTIONS] SERVICE [COMMAND] [ARGS...]";
    c.shortHelp = "Run a one-off command on a service";
    c.minArgs = 1;
    c.interspersed = false;
    c.flags = [](Flags& f) {
        f.boolean("build", 0, "Build image before starting container");
        f.list("cap-add", 0, "Add Linux capabilities");
        f.list("cap-drop", 0, "Drop Linux capabilities");
        f.boolean("detach", 'd', "Run container in background and print container ID");
        f.string("entrypoint", 0, "", "Override the entrypoint of the image");
        f.list("env", 'e', "Set environment variables", "stringArray");
        f.boolean("interactive", 'i', "Keep STDIN open even if not attached", true);
        f.list("label", 'l', "Add or override a label", "stringArray");
        f.string("name", 0, "", "Assign a name to the container");
        f.boolean("no-TTY", 'T', "Disable pseudo-TTY allocation (default: auto-detected)");
        f.boolean("no-build", 0, "Don't build an image, even if it's policy");
        f.boolean("no-deps", 0, "Don't start linked services");
        f.list("publish", 'p', "Publish a container's port(s) to the host", "stringArray");
        f.string("pull", 0, "policy",
                 "Pull image before running (\"always\"|\"missing\"|\"never\")");
        f.boolean("quiet-pull", 0, "Pull without printing progress information");
        f.boolean("remove-orphans", 0,
                  "Remove containers for services not defined in the Compose file");
        f.boolean("rm", 0, "Automatically remove the container when it exits");
        f.boolean("service-ports", 'P',
                  "Run command with all service's ports enabled and mapped to the host");
        f.boolean("tty", 't', "Allocate a pseudo-TTY", true).hide();
        f.boolean("use-aliases", 0,
                  "Use the service's network useAliases in the network(s) the container "
                  "connects to");
        f.string("user", 'u', "", "Run as specified username or uid");
        f.list("volume", 'v', "Bind mount a volume", "stringArray");
        f.string("workdir", 'w', "", "Working directory inside the container");
    };
    c.run = runRun;
    return c;
}

}  // namespace berth::cli::compose
