// `berth search`: search a registry for images (berthd answers an offline error; the table
// is docker's for daemons that answer).
#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runSearch(Ctx& ctx, const Flags& f) {
    auto fj = TRY(filtersJson(f.l("filter")));
    std::string limit = f.changed("limit") ? std::to_string(f.i("limit")) : "";
    Request r;
    r.path = "/images/search" + query({{"term", f.args()[0]}, {"limit", limit}, {"filters", fj}});
    r.headers.push_back({"X-Registry-Auth", ctx.registryAuthHeader("docker.io")});
    if (r.headers.back().second.empty()) r.headers.pop_back();
    auto resp = TRY(apiCall(ctx, r));
    auto list = nlohmann::json::parse(resp.body, nullptr, false);
    if (!list.is_array()) return makeError(EPROTO, "invalid JSON from the daemon for search");
    std::vector<nlohmann::json> rows;
    bool trunc = !f.b("no-trunc");
    for (auto& s : list) {
        nlohmann::json row;
        std::string desc = s.value("description", "");
        for (auto& ch : desc)
            if (ch == '\n' || ch == '\r') ch = ' ';
        row["Name"] = s.value("name", "");
        row["Description"] = trunc ? ellipsis(desc, 45) : desc;
        row["StarCount"] = std::to_string(s.value("star_count", 0));
        row["IsOfficial"] = s.value("is_official", false) ? "[OK]" : "";
        row["IsAutomated"] = s.value("is_automated", false) ? "[OK]" : "";
        rows.push_back(std::move(row));
    }
    nlohmann::json headers = {{"Name", "NAME"},
                              {"Description", "DESCRIPTION"},
                              {"StarCount", "STARS"},
                              {"IsOfficial", "OFFICIAL"},
                              {"IsAutomated", "AUTOMATED"}};
    ListFormat lf;
    lf.defaultTable = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}";
    ctx.out(TRY(renderList(f.s("format"), rows, headers, lf)));
    return 0;
}

}  // namespace

Command cmdSearch() {
    Command c;
    c.name = "search";
    c.use = "[OPTIONS] TERM";
    c.shortHelp = "Search Docker Hub for images";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.list("filter", 'f', "Filter output based on conditions provided", "filter");
        f.string("format", 0, "", "Pretty-print search using a Go template");
        f.integer("limit", 0, 0, "Max number of search results");
        f.boolean("no-trunc", 0, "Don't truncate output");
    };
    c.run = runSearch;
    return c;
}

}  // namespace berth::cli
