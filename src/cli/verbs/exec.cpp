// `berth exec`: run a command in a running container (POST /containers/{id}/exec, then
// /exec/{id}/start hijacked unless -d) and exit with its exit code.
#include <signal.h>

#include <nlohmann/json.hpp>

#include "cli/tty.h"
#include "cli/verbs/container_run.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

using nlohmann::json;

constexpr const char* kExecUse = "[OPTIONS] CONTAINER COMMAND [ARG...]";

Result<int> runExec(Ctx& ctx, const Flags& f) {
    const auto& args = f.args();
    const std::string& name = args[0];
    std::vector<std::string> cmd(args.begin() + 1, args.end());
    std::vector<std::string> env;
    for (auto& e : f.l("env")) {
        auto v = validateEnv(e);
        if (!v)
            return reportOptsError(
                ctx, "exec", kExecUse,
                Error{kOptsFlagError,
                      fmt::format("invalid argument \"{}\" for \"-e, --env\" flag: {}", e,
                                  v.error().msg),
                      true});
    }
    for (auto& file : f.l("env-file")) {
        auto lines = readEnvFile(file, true);
        if (!lines) return Error{0, lines.error().msg, true};
        env.insert(env.end(), lines->begin(), lines->end());
    }
    for (auto& e : f.l("env")) env.push_back(*validateEnv(e));

    bool detach = f.b("detach"), tty = f.b("tty"), in = f.b("interactive");
    TRY(apiGet(ctx, "/containers/" + name + "/json"));
    if (!detach && in && tty && !isTerminal(ctx.inFd))
        return Error{0, "the input device is not a TTY", true};

    int rows = 0, cols = 0;
    if (tty)
        if (auto ws = windowSize(ctx.outFd)) std::tie(rows, cols) = *ws;
    json body = {{"User", f.s("user")},
                 {"Privileged", f.b("privileged")},
                 {"Tty", tty},
                 {"AttachStdin", in && !detach},
                 {"AttachStderr", !detach},
                 {"AttachStdout", !detach},
                 {"Detach", detach},
                 {"DetachKeys", f.s("detach-keys")},
                 {"Env", env.empty() ? json(nullptr) : json(env)},
                 {"WorkingDir", f.s("workdir")},
                 {"Cmd", cmd}};
    if (tty) body["ConsoleSize"] = {rows, cols};
    auto created = TRY(apiPost(ctx, "/containers/" + name + "/exec", body));
    std::string execId = created.value("Id", "");
    if (execId.empty()) return makeError(EPROTO, "exec create: no ID in the daemon's answer");

    if (detach) {
        TRY(apiPost(ctx, "/exec/" + execId + "/start", json{{"Detach", true}, {"Tty", tty}}));
        return 0;
    }
    json start = {{"Detach", false}, {"Tty", tty}};
    if (tty) start["ConsoleSize"] = {rows, cols};
    auto h = TRY(openHijacked(ctx, "/exec/" + execId + "/start", start.dump()));
    SessionOptions so;
    so.stdinAttached = in;
    so.tty = tty;
    so.detachKeys = f.s("detach-keys");
    so.resizePath = "/exec/" + execId + "/resize";
    auto res = runSession(ctx, h, so);
    if (res && res->detached) return 0;
    auto inspect = TRY(apiGet(ctx, "/exec/" + execId + "/json"));
    if (!res) {
        // The stream broke (berthd sends a failed exec's message unframed): say so, and give
        // the exit code the daemon recorded when there is one (126/127), as docker would.
        ctx.err(res.error().msg + "\n");
        if (!inspect.value("Running", false) && inspect.value("ExitCode", 0) != 0)
            return inspect["ExitCode"].get<int>();
        return 1;
    }
    if (inspect.contains("ExitCode") && inspect["ExitCode"].is_number())
        return inspect["ExitCode"].get<int>();
    return 0;
}

}  // namespace

Command cmdExec() {
    Command c;
    c.name = "exec";
    c.use = kExecUse;
    c.shortHelp = "Execute a command in a running container";
    c.minArgs = 2;
    c.maxArgs = -1;
    c.interspersed = false;
    c.flags = [](Flags& f) {
        f.boolean("detach", 'd', "Detached mode: run command in the background");
        f.string("detach-keys", 0, "", "Override the key sequence for detaching a container");
        f.list("env", 'e', "Set environment variables");
        f.list("env-file", 0, "Read in a file of environment variables");
        f.boolean("interactive", 'i', "Keep STDIN open even if not attached");
        f.boolean("privileged", 0, "Give extended privileges to the command");
        f.boolean("tty", 't', "Allocate a pseudo-TTY");
        f.string("user", 'u', "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
        f.string("workdir", 'w', "", "Working directory inside the container");
    };
    c.run = runExec;
    return c;
}

}  // namespace berth::cli
