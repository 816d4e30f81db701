// `berth system prune`: remove stopped containers, unused networks, dangling (or, with -a,
// unused) images, the build cache and, with --volumes, anonymous volumes.
#include "cli/units.h"
#include "cli/verbs/sys_prune.h"

namespace berth::cli {

Command cmdSystemPrune() {
    Command c;
    c.name = "prune";
    c.use = "[OPTIONS]";
    c.shortHelp = "Remove unused data";
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.boolean("all", 'a', "Remove all unused images not just dangling ones");
        f.list("filter", 0, "Provide filter values (e.g. \"label=<key>=<value>\")", "filter");
        f.boolean("force", 'f', "Do not prompt for confirmation");
        f.boolean("volumes", 0, "Prune anonymous volumes");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        const auto& filters = f.l("filter");
        bool all = f.b("all");
        if (!f.b("force")) {
            std::string w =
                "WARNING! This will remove:\n  - all stopped containers\n"
                "  - all networks not used by at least one container\n";
            if (f.b("volumes"))
                w += "  - all anonymous volumes not used by at least one container\n";
            w += all ? "  - all images without at least one container associated to them\n"
                       "  - all build cache\n"
                     : "  - all dangling images\n  - unused build cache\n";
            w += sysFilterNote(filters);
            if (!sysConfirm(ctx, w)) return 0;
        }
        uint64_t total = 0;
        auto step = [&](std::string_view kind, std::vector<std::string> fl) -> Status {
            auto rep = TRY(sysPrune(ctx, kind, fl));
            total += rep.reclaimed;
            if (!rep.output.empty()) ctx.out(rep.output + "\n");
            return okStatus();
        };
        TRY(step("containers", filters));
        TRY(step("networks", filters));
        if (f.b("volumes")) TRY(step("volumes", filters));
        auto imageFilters = filters;
        imageFilters.push_back(all ? "dangling=false" : "dangling=true");
        TRY(step("images", imageFilters));
        TRY(step("build", filters));
        ctx.out("Total reclaimed space: " + humanSize(static_cast<double>(total)) + "\n");
        return 0;
    };
    return c;
}

}  // namespace berth::cli
