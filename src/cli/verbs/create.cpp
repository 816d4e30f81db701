// `berth create`: create a new container (pulling its image when missing) and print its ID.
#include "cli/verbs/container_run.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

constexpr const char* kCreateUse = "[OPTIONS] IMAGE [COMMAND] [ARG...]";

Result<int> runCreate(Ctx& ctx, const Flags& f) {
    auto spec = parseContainerOpts(f);
    if (!spec) return reportOptsError(ctx, "create", kCreateUse, spec.error());
    // Unlike run, docker's create reports the daemon's errors plainly, with status 1.
    auto id = TRY(createContainer(ctx, *spec));
    ctx.out(id + "\n");
    return 0;
}

}  // namespace

Command cmdCreate() {
    Command c;
    c.name = "create";
    c.use = kCreateUse;
    c.shortHelp = "Create a new container";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.interspersed = false;
    c.flags = [](Flags& f) { defineContainerFlags(f, false); };
    c.run = runCreate;
    return c;
}

}  // namespace berth::cli
