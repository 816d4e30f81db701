// docker's container flags -> /containers/create body. Field by field as docker/cli's
// cli/command/container/opts.go fills container.Config/HostConfig/NetworkingConfig, so berthd
// sees the same request from both CLIs (null vs [] included where the daemon may care).
//
// This file holds the order of docker's parse() and the Config; the flags, the value parsers
// and each part of the body are in the container_opts_*.cpp files beside it.
#include "cli/verbs/container_opts.h"

#include <algorithm>

#include "cli/verbs/container_opts_internal.h"

namespace berth::cli {

using copts::devicesJson;
using copts::FlagValues;
using copts::hostConfigJson;
using copts::HostOpts;
using copts::isMac;
using copts::kvMap;
using copts::lower;
using copts::parseFlagValues;
using copts::parseHostOpts;
using copts::parseNetworking;
using copts::parseVolumes;
using copts::tmpfsMap;
using copts::trim;
using nlohmann::json;

namespace {

// --health-* and --no-healthcheck: Config.Healthcheck (null when none is given).
Result<json> healthcheck(const Flags& f, const FlagValues& fv) {
    json health = nullptr;
    bool haveHealth = !f.s("health-cmd").empty() || fv.healthInterval || fv.healthTimeout ||
                      fv.healthStartPeriod || f.i("health-retries") || fv.healthStartInterval;
    if (f.b("no-healthcheck")) {
        if (haveHealth) return invalid("--no-healthcheck conflicts with --health-* options");
        health = {{"Test", {"NONE"}}};
    } else if (haveHealth) {
        if (fv.healthInterval < 0) return invalid("--health-interval cannot be negative");
        if (fv.healthTimeout < 0) return invalid("--health-timeout cannot be negative");
        if (f.i("health-retries") < 0) return invalid("--health-retries cannot be negative");
        if (fv.healthStartPeriod < 0) return invalid("--health-start-period cannot be negative");
        if (fv.healthStartInterval < 0)
            return invalid("--health-start-interval cannot be negative");
        health = json::object();
        if (!f.s("health-cmd").empty()) health["Test"] = {"CMD-SHELL", f.s("health-cmd")};
        if (fv.healthInterval) health["Interval"] = fv.healthInterval;
        if (fv.healthTimeout) health["Timeout"] = fv.healthTimeout;
        if (fv.healthStartPeriod) health["StartPeriod"] = fv.healthStartPeriod;
        if (fv.healthStartInterval) health["StartInterval"] = fv.healthStartInterval;
        if (f.i("health-retries")) health["Retries"] = f.i("health-retries");
    }
    return health;
}

}  // namespace

Result<ContainerSpec> parseContainerOpts(const Flags& f) {
    ContainerSpec spec;
    const auto& args = f.args();
    spec.image = args.at(0);
    spec.cmd.assign(args.begin() + 1, args.end());

    // Flag-level checks first: pflag rejects these while parsing, before anything else.
    const FlagValues fv = TRY(parseFlagValues(f));

    // parse() proper: these print as "berth: <msg>".
    spec.name = f.s("name");
    spec.platform = f.s("platform");
    spec.pull = f.s("pull");
    spec.quiet = f.b("quiet");
    spec.cidfile = f.s("cidfile");
    if (spec.pull != "always" && spec.pull != "missing" && spec.pull != "never")
        return invalid(
            "invalid pull option: '{}': must be one of \"always\", \"missing\" or "
            "\"never\"",
            spec.pull);

    for (auto& a : f.l("attach")) spec.attach.push_back(lower(a));
    auto attached = [&](std::string_view s) {
        return std::find(spec.attach.begin(), spec.attach.end(), s) != spec.attach.end();
    };
    spec.attachStdin = attached("stdin") || f.b("interactive");
    spec.attachStdout = attached("stdout") || spec.attach.empty();
    spec.attachStderr = attached("stderr") || spec.attach.empty();
    spec.tty = f.b("tty");
    spec.openStdin = f.b("interactive");
    spec.autoRemove = f.b("rm");

    if (!f.s("mac-address").empty() && !isMac(trim(f.s("mac-address"))))
        return invalid("{} is not a valid mac address", f.s("mac-address"));
    int64_t swappiness = f.i("memory-swappiness");
    if (swappiness != -1 && (swappiness < 0 || swappiness > 100))
        return invalid("invalid value: {}. Valid memory swappiness range is 0-100", swappiness);

    HostOpts host;
    // -v: binds (with a source) or anonymous volumes.
    json volumes = json::object();
    TRY(parseVolumes(f, host.binds, volumes));
    host.tmpfs = tmpfsMap(f);

    json cmd = spec.cmd.empty() ? json(nullptr) : json(spec.cmd);
    json entrypoint = nullptr;
    if (!f.s("entrypoint").empty())
        entrypoint = json::array({f.s("entrypoint")});
    else if (f.changed("entrypoint"))
        entrypoint = json::array({""});

    std::map<std::string, int> exposed;
    TRY(parsePublish(f.l("publish"), exposed, host.portBindings));
    for (auto& e : f.l("expose"))
        for (auto& p : TRY(parseExpose(e))) exposed[p] = 1;

    host.devices = TRY(devicesJson(f));

    std::vector<std::string> env;
    for (auto& file : f.l("env-file"))
        for (auto& l : TRY(readEnvFile(file, true))) env.push_back(l);
    for (auto& e : f.l("env")) env.push_back(TRY(validateEnv(e)));
    std::vector<std::string> labels;
    for (auto& file : f.l("label-file"))
        for (auto& l : TRY(readEnvFile(file, false))) labels.push_back(l);
    for (auto& l : f.l("label")) labels.push_back(l);

    TRY(parseHostOpts(f, host));
    json health = TRY(healthcheck(f, fv));

    // Config.
    json config = {
        {"Hostname", f.s("hostname")},
        {"Domainname", f.s("domainname")},
        {"User", f.s("user")},
        {"AttachStdin", spec.attachStdin},
        {"AttachStdout", spec.attachStdout},
        {"AttachStderr", spec.attachStderr},
        {"Tty", spec.tty},
        {"OpenStdin", spec.openStdin},
        {"StdinOnce", spec.openStdin && spec.attachStdin},
        {"Env", env.empty() ? json(nullptr) : json(env)},
        {"Cmd", cmd},
        {"Image", spec.image},
        {"Volumes", volumes},
        {"WorkingDir", f.s("workdir")},
        {"Entrypoint", entrypoint},
        {"OnBuild", nullptr},
        {"Labels", kvMap(labels)},
    };
    if (!exposed.empty()) {
        json ep = json::object();
        for (auto& [p, _] : exposed) ep[p] = json::object();
        config["ExposedPorts"] = ep;
    }
    if (!health.is_null()) config["Healthcheck"] = health;
    if (!f.s("stop-signal").empty()) config["StopSignal"] = f.s("stop-signal");
    if (f.changed("stop-timeout")) config["StopTimeout"] = f.i("stop-timeout");

    auto net = TRY(parseNetworking(f));
    json hostConfig = TRY(hostConfigJson(f, spec, fv, host, net.mode));

    if (spec.autoRemove && host.restart["Name"] != "no")
        return invalid("conflicting options: cannot specify both --restart and --rm");

    config["HostConfig"] = hostConfig;
    config["NetworkingConfig"] = {{"EndpointsConfig", net.endpoints}};
    spec.body = config.dump();
    return spec;
}

}  // namespace berth::cli
