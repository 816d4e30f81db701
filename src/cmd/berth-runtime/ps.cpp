#include <cstdio>

#include "common/sys.h"
#include "commands.h"

namespace berth::cli {

void addPs(CLI::App& app, Context& ctx) {
    struct Opts {
        std::string id, format = "table";
        std::vector<std::string> psArgs;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("ps", "list the processes of a container");
    cmd->add_option("-f,--format", o->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->add_option("id", o->id, "container id")->required();
    cmd->add_option("ps-options", o->psArgs, "ignored (runc passes these to ps)");
    cmd->callback([&ctx, o] {
        auto pids = runtime::processes(ctx.g, o->id);
        if (!pids) return ctx.fail(pids.error());
        if (o->format == "json") {
            std::string out = "[";
            for (size_t i = 0; i < pids->size(); i++) {
                out += (i ? "," : "") + std::to_string((*pids)[i]);
            }
            std::printf("%s]\n", out.c_str());
            return;
        }
        std::printf("%-8s %s\n", "PID", "CMD");
        for (pid_t p : *pids) {
            auto cmdline = sys::readFile(fmt::format("/proc/{}/cmdline", p));
            std::string c = cmdline ? *cmdline : "";
            for (auto& ch : c) {
                if (ch == '\0') ch = ' ';
            }
            std::printf("%-8d %s\n", p, c.c_str());
        }
    });
}

}  // namespace berth::cli
