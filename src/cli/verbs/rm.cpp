// `berth rm`: remove one or more containers.
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

Command cmdRm() {
    Command c;
    c.name = "rm";
    c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
    c.shortHelp = "Remove one or more containers";
    c.minArgs = 1;
    c.flags = [](Flags& f) {
        f.boolean("force", 'f', "Force the removal of a running container (uses SIGKILL)");
        f.boolean("link", 'l', "Remove the specified link");
        f.boolean("volumes", 'v', "Remove anonymous volumes associated with the container");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string q = query({{"v", f.b("volumes") ? "1" : ""},
                               {"link", f.b("link") ? "1" : ""},
                               {"force", f.b("force") ? "1" : ""}});
        int rc = 0;
        for (auto& typed : f.args()) {
            std::string n = typed;
            while (!n.empty() && n.front() == '/') n.erase(n.begin());
            while (!n.empty() && n.back() == '/') n.pop_back();
            Status st = okStatus();
            if (n.empty()) {
                st = invalid("container name cannot be empty");
            } else {
                Request r;
                r.method = "DELETE";
                r.path = sysContainerPath(n) + q;
                auto resp = apiCall(ctx, std::move(r));
                if (!resp) st = std::move(resp).error();
            }
            if (st) {
                ctx.out(typed + "\n");
                continue;
            }
            if (st.error().msg.rfind("cannot reach berthd", 0) == 0) return std::move(st).error();
            ctx.err(st.error().msg + "\n");
            // docker: with --force a missing container is reported but is no failure.
            if (!(f.b("force") && st.error().code == 404)) rc = 1;
        }
        return rc;
    };
    return c;
}

}  // namespace berth::cli
