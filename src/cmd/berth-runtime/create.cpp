#include "commands.h"

namespace berth::cli {

void addCreateFlags(CLI::App* cmd, runtime::CreateOptions& o) {
    cmd->add_option("-b,--bundle", o.bundle, "path to the bundle directory")->capture_default_str();
    cmd->add_option("--console-socket", o.consoleSocket,
                    "unix socket that receives the pty master of a terminal container");
    cmd->add_option("--pid-file", o.pidFile, "file to write the init's pid to");
    cmd->add_flag("--no-pivot", o.noPivot, "use MS_MOVE+chroot instead of pivot_root");
    cmd->add_flag("--no-new-keyring", o.noNewKeyring, "keep the caller's session keyring");
    cmd->add_option("--preserve-fds", o.preserveFds, "pass N fds after stdio to the container");
    cmd->add_option("id", o.id, "container id")->required();
}

void addCreate(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<runtime::CreateOptions>();
    auto* cmd = app.add_subcommand("create", "create a container (its init waits for `start`)");
    addCreateFlags(cmd, *o);
    cmd->callback([&ctx, o] {
        auto r = runtime::create(ctx.g, *o);
        if (!r) ctx.fail(r.error());
    });
}

}  // namespace berth::cli
