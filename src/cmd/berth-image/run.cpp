// berth-image run [--rm] [-e K=V]... [-w dir] [-u user] [--name id] [--entrypoint cmd] [-t]
//                 [--network none|host] IMAGE [CMD...]
// Runs in the foreground with our stdio and exits with the container's exit code (125 when the
// container could not be run, 126/127 when its command cannot be executed or found, as docker).
#include <cstdio>

#include "commands.h"
#include "image/build/run_container.h"

namespace berth::imgcli {

namespace {

struct RunFlags {
    bool rm = false, tty = false, interactive = false;
    std::vector<std::string> env;
    std::string workdir, user, name, entrypoint, network = "none";
};

}  // namespace

void addRun(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<RunFlags>();
    auto* c = app.add_subcommand("run", "run a command in a new container from an image");
    c->footer("Usage: berth-image run [OPTIONS] IMAGE [COMMAND] [ARG...]");
    c->add_flag("--rm", f->rm, "remove the container when it exits (always done)");
    c->add_flag("-t,--tty", f->tty, "allocate a pseudo-TTY");
    c->add_flag("-i,--interactive", f->interactive, "keep stdin open (always inherited)");
    c->add_option("-e,--env", f->env, "set an environment variable K=V")->allow_extra_args(false);
    c->add_option("-w,--workdir", f->workdir, "working directory in the container");
    c->add_option("-u,--user", f->user, "user[:group] (names through the image's /etc/passwd)");
    c->add_option("--name", f->name, "container id");
    c->add_option("--entrypoint", f->entrypoint, "replace the image's ENTRYPOINT");
    c->add_option("--network", f->network, "none or host")->check(CLI::IsMember({"none", "host"}));
    c->prefix_command();
    c->callback([&ctx, f, c] {
        auto rest = c->remaining();
        if (rest.empty()) {
            ctx.fail(invalid("run: an image is required"));
            ctx.exitCode = 125;
            return;
        }
        image::build::RunOptions o;
        o.image = rest[0];
        o.cmd.assign(rest.begin() + 1, rest.end());
        if (c->count("--entrypoint")) {
            o.entrypoint = f->entrypoint.empty() ? std::vector<std::string>{}
                                                 : std::vector<std::string>{f->entrypoint};
        }
        o.env = f->env;
        o.workdir = f->workdir;
        o.user = f->user;
        o.id = f->name;
        o.tty = f->tty;
        o.network = f->network;
        int failCode = 125;
        auto code = image::build::runImage(ctx.service(), o, &failCode);
        if (!code) {
            ctx.fail(code.error());
            ctx.exitCode = failCode;
            return;
        }
        ctx.exitCode = *code;
    });
}

}  // namespace berth::imgcli
