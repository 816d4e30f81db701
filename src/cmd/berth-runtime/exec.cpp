#include "common/sys.h"
#include "commands.h"

namespace berth::cli {

namespace {

Result<spec::User> parseUser(const std::string& s, const std::vector<uint32_t>& gids) {
    spec::User u;
    auto colon = s.find(':');
    try {
        size_t used = 0;
        std::string uid = s.substr(0, colon);
        u.uid = static_cast<uint32_t>(std::stoul(uid, &used));
        if (used != uid.size()) throw std::invalid_argument(uid);
        if (colon != std::string::npos) {
            std::string gid = s.substr(colon + 1);
            u.gid = static_cast<uint32_t>(std::stoul(gid, &used));
            if (used != gid.size()) throw std::invalid_argument(gid);
        }
    } catch (const std::exception&) {
        return invalid("--user \"{}\": expected uid[:gid] as numbers", s);
    }
    u.additionalGids = gids;
    return u;
}

}  // namespace

void addExec(CLI::App& app, Context& ctx) {
    struct Opts {
        runtime::ExecOptions e;
        std::string user, processFile, cwd;
        std::vector<uint32_t> gids;
        bool tty = false;
        std::string label, apparmor, cgroup;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("exec", "run a new process inside a running container");
    cmd->footer("Usage: berth-runtime exec [OPTIONS] <id> <command> [args...]");
    cmd->add_option("--console-socket", o->e.consoleSocket, "unix socket for the pty master");
    cmd->add_option("--cwd", o->cwd, "working directory in the container");
    cmd->add_option("-e,--env", o->e.env, "set an environment variable (KEY=value)")
        ->allow_extra_args(false);
    cmd->add_flag("-t,--tty", o->tty, "allocate a pseudo-TTY");
    cmd->add_option("-u,--user", o->user, "uid[:gid]");
    cmd->add_option("-g,--additional-gids", o->gids, "additional gids")->allow_extra_args(false);
    cmd->add_option("-p,--process", o->processFile, "process.json describing the process");
    cmd->add_flag("-d,--detach", o->e.detach, "return once the process runs");
    cmd->add_option("--pid-file", o->e.pidFile, "file to write the process pid to");
    cmd->add_option("--process-label", o->label, "SELinux label (unsupported, must be empty)");
    cmd->add_option("--apparmor", o->apparmor, "AppArmor profile (unsupported, must be empty)");
    cmd->add_flag("--no-new-privs", o->e.noNewPrivs, "set no_new_privs");
    cmd->add_option("-c,--cap", o->e.addCaps, "add a capability")->allow_extra_args(false);
    cmd->add_option("--preserve-fds", o->e.preserveFds, "pass N fds after stdio");
    cmd->add_option("--cgroup", o->cgroup, "sub-cgroup (unsupported, must be empty)");
    cmd->add_flag("--ignore-paused", o->e.ignorePaused, "exec even if the container is paused");
    cmd->prefix_command();
    cmd->callback([&ctx, o, cmd] {
        auto rest = cmd->remaining();
        if (rest.empty()) return ctx.fail(invalid("exec: a container id is required"));
        if (!o->label.empty() || !o->apparmor.empty() || !o->cgroup.empty()) {
            return ctx.fail(invalid("exec: --process-label, --apparmor and --cgroup are not "
                                    "supported on this host"));
        }
        o->e.id = rest[0];
        o->e.args.assign(rest.begin() + 1, rest.end());
        o->e.cwd = o->cwd;
        if (cmd->count("--tty")) o->e.tty = o->tty;
        if (!o->processFile.empty()) {
            auto text = o->processFile == "-" ? sys::readFd(0) : sys::readFile(o->processFile);
            if (!text) return ctx.fail(text.error().wrap("--process"));
            auto p = spec::parseProcess(*text);
            if (!p) return ctx.fail(p.error().wrap("--process " + o->processFile));
            o->e.process = std::move(*p);
        } else if (o->e.args.empty()) {
            return ctx.fail(invalid("exec: a command is required (or --process)"));
        }
        if (!o->user.empty() || !o->gids.empty()) {
            auto u = parseUser(o->user.empty() ? "0" : o->user, o->gids);
            if (!u) return ctx.fail(u.error());
            o->e.user = *u;
        }
        auto r = runtime::exec(ctx.g, o->e);
        if (!r) return ctx.fail(r.error());
        ctx.exitCode = *r;
    });
}

}  // namespace berth::cli
