// `berth image prune`: remove unused images (dangling only, unless -a), asking first unless -f.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/units.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

// docker's prompt: reads one line; only "y"/"Y" agrees.
bool confirm(Ctx& ctx, const std::string& warning) {
    ctx.out(warning + "\nAre you sure you want to continue? [y/N] ");
    std::string line;
    char c;
    while (::read(ctx.inFd, &c, 1) == 1 && c != '\n') line += c;
    auto b = line.find_first_not_of(" \t\r");
    auto e = line.find_last_not_of(" \t\r");
    line = b == std::string::npos ? "" : line.substr(b, e - b + 1);
    return line == "y" || line == "Y";
}

Result<int> runPrune(Ctx& ctx, const Flags& f) {
    bool all = f.b("all");
    if (!f.b("force")) {
        std::string w = all ? "WARNING! This will remove all images without at least one "
                              "container associated to them."
                            : "WARNING! This will remove all dangling images.";
        if (!confirm(ctx, w)) return 0;
    }
    auto filters = f.l("filter");
    filters.push_back(std::string("dangling=") + (all ? "false" : "true"));
    auto fj = TRY(filtersJson(filters));
    auto rep = TRY(apiPost(ctx, "/images/prune" + query({{"filters", fj}}), nullptr));
    std::string out;
    if (rep.contains("ImagesDeleted") && rep["ImagesDeleted"].is_array() &&
        !rep["ImagesDeleted"].empty()) {
        out += "Deleted Images:\n";
        for (auto& e : rep["ImagesDeleted"]) {
            std::string u = e.value("Untagged", ""), d = e.value("Deleted", "");
            out += u.empty() ? "deleted: " + d + "\n" : "untagged: " + u + "\n";
        }
        out += "\n";
    }
    double reclaimed = rep.value("SpaceReclaimed", 0.0);
    out += "Total reclaimed space: " + humanSize(reclaimed) + "\n";
    ctx.out(out);
    return 0;
}

}  // namespace

Command cmdImagePrune() {
    Command c;
    c.name = "prune";
    c.use = "[OPTIONS]";
    c.shortHelp = "Remove unused images";
    c.minArgs = 0;
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.boolean("all", 'a', "Remove all unused images, not just dangling ones");
        f.list("filter", 0, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
        f.boolean("force", 'f', "Do not prompt for confirmation");
    };
    c.run = runPrune;
    return c;
}

}  // namespace berth::cli
