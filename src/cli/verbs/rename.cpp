// `berth rename`: give a container a new name.
#include "cli/verbs/sys_ctr.h"

namespace berth::cli {

Command cmdRename() {
    Command c;
    c.name = "rename";
    c.use = "CONTAINER NEW_NAME";
    c.shortHelp = "Rename a container";
    c.minArgs = 2;
    c.maxArgs = 2;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        // docker trims spaces and refuses empty names before asking the daemon.
        auto trim = [](std::string s) {
            while (!s.empty() && s.front() == ' ') s.erase(s.begin());
            while (!s.empty() && s.back() == ' ') s.pop_back();
            return s;
        };
        std::string old = trim(f.args()[0]), name = trim(f.args()[1]);
        if (old.empty() || name.empty())
            return invalid("Error: Neither old nor new names may be empty");
        Request r;
        r.method = "POST";
        r.path = sysContainerPath(old) + "/rename" + query({{"name", name}});
        auto resp = apiCall(ctx, std::move(r));
        if (!resp) {
            if (resp.error().msg.rfind("cannot reach berthd", 0) == 0)
                return std::move(resp).error();
            ctx.err(resp.error().msg + "\n");
            return invalid("Error: failed to rename container named {}", old);
        }
        return 0;
    };
    return c;
}

}  // namespace berth::cli
