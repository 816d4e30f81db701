// berth-runtime: an OCI runtime with runc's command line.
#include <unistd.h>

#include <cstring>

#include "commands.h"
#include "common/log.h"
#include "runtime/cloned_binary.h"

extern char** environ;

namespace berth::cli {

void Context::fail(const Error& e) {
    log::error("{}", e.str());
    exitCode = 1;
}

}  // namespace berth::cli

namespace {

// Verbs whose processes enter a container run from a sealed copy of this binary.
bool entersContainer(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "create" || a == "run" || a == "exec") return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace berth;
    if (entersContainer(argc, argv)) {
        auto st = cloned::ensureCloned(argv, environ);
        if (!st) {
            fprintf(stderr, "berth-runtime: %s\n", st.error().str().c_str());
            return 1;
        }
    }
    cli::Context ctx;
    CLI::App app{"berth-runtime: an OCI container runtime (runc-compatible command line)",
                 "berth-runtime"};
    app.require_subcommand(1);
    app.set_version_flag("-v,--version", "berth-runtime version 0.1.0\nspec: 1.3.0");
    std::string logPath, logFormat = "text";
    bool debug = false;
    app.add_option("--root", ctx.g.root, "state directory")->capture_default_str();
    app.add_option("--log", logPath, "log file (default stderr)");
    app.add_option("--log-format", logFormat, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", debug, "debug logging");
    app.add_flag("--systemd-cgroup", ctx.g.systemdCgroup, "use the systemd cgroup driver");
    bool rootless = false;
    std::string criuPath;
    app.add_option("--rootless", rootless, "accepted for runc compatibility")->expected(0, 1);
    app.add_option("--criu", criuPath, "accepted for runc compatibility; checkpoint is unsupported");
    app.parse_complete_callback([&] {
        log::Options lo;
        lo.path = logPath;
        lo.format = logFormat == "json" ? log::Format::Json : log::Format::Text;
        lo.level = debug ? log::Level::Debug : log::Level::Warn;
        lo.alsoStderr = true;
        log::init(lo);
    });

    cli::addCreate(app, ctx);
    cli::addStart(app, ctx);
    cli::addRun(app, ctx);
    cli::addState(app, ctx);
    cli::addKill(app, ctx);
    cli::addDelete(app, ctx);
    cli::addExec(app, ctx);
    cli::addSpec(app, ctx);
    cli::addList(app, ctx);
    cli::addPs(app, ctx);
    cli::addPauseResume(app, ctx);
    cli::addUpdate(app, ctx);
    cli::addFeatures(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return ctx.exitCode;
}
