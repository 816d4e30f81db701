// `berth wait`: block until one or more containers stop, then print their exit codes.
#include <nlohmann/json.hpp>

#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

Command cmdWait() {
    Command c;
    c.name = "wait";
    c.use = "CONTAINER [CONTAINER...]";
    c.shortHelp = "Block until one or more containers stop, then print their exit codes";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        // As docker: codes as they come, the errors together at the end.
        std::vector<std::string> errors;
        for (auto& name : f.args()) {
            auto r = apiPost(ctx, "/containers/" + urlEncode(name) + "/wait", json());
            if (!r) {
                errors.push_back(r.error().msg);
                continue;
            }
            const json& res = *r;
            if (res.contains("Error") && res["Error"].is_object() &&
                !res["Error"].value("Message", "").empty()) {
                errors.push_back(res["Error"].value("Message", ""));
                continue;
            }
            ctx.out(std::to_string(res.value("StatusCode", int64_t{0})) + "\n");
        }
        if (errors.empty()) return 0;
        std::string msg;
        for (auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
        return Error{0, msg, true};
    };
    return c;
}

}  // namespace berth::cli
