// `berth rmi`: remove one or more images ("Untagged: ..", "Deleted: .." per image).
#include <nlohmann/json.hpp>

#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runRmi(Ctx& ctx, const Flags& f) {
    std::vector<std::string> errs;
    for (auto& name : f.args()) {
        Request r;
        r.method = "DELETE";
        r.path =
            "/images/" + name +
            query({{"force", f.b("force") ? "1" : ""}, {"noprune", f.b("no-prune") ? "1" : ""}});
        auto resp = apiCall(ctx, r);
        if (!resp) {
            if (resp.error().msg.rfind("cannot reach berthd", 0) == 0)
                return std::move(resp).error();
            errs.push_back(resp.error().msg);
            continue;
        }
        auto j = nlohmann::json::parse(resp->body, nullptr, false);
        std::string out;
        if (j.is_array())
            for (auto& e : j) {
                if (e.contains("Untagged")) out += "Untagged: " + e.value("Untagged", "") + "\n";
                if (e.contains("Deleted")) out += "Deleted: " + e.value("Deleted", "") + "\n";
            }
        ctx.out(out);
    }
    if (errs.empty()) return 0;
    std::string msg;
    for (auto& e : errs) msg += e + "\n";
    ctx.err(msg);
    return 1;
}

}  // namespace

Command cmdRmi() {
    Command c;
    c.name = "rmi";
    c.use = "[OPTIONS] IMAGE [IMAGE...]";
    c.shortHelp = "Remove one or more images";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.flags = [](Flags& f) {
        f.boolean("force", 'f', "Force removal of the image");
        f.boolean("no-prune", 0, "Do not delete untagged parents");
        f.list("platform", 0,
               "Remove only the given platform variant. Formatted as \"os[/arch[/variant]]\" "
               "(e.g., \"linux/amd64\")",
               "strings");
    };
    c.run = runRmi;
    return c;
}

}  // namespace berth::cli
