// `berth history`: show the history of an image.
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

Result<int> runHistory(Ctx& ctx, const Flags& f) {
    auto list = TRY(apiGet(
        ctx, "/images/" + f.args()[0] + "/history" + query({{"platform", f.s("platform")}})));
    bool human = f.b("human"), trunc = !f.b("no-trunc");
    int64_t now = std::time(nullptr);
    std::vector<json> rows;
    for (auto& h : list) {
        std::string id = h.value("Id", "");
        int64_t created = h.value("Created", int64_t{0}), size = h.value("Size", int64_t{0});
        std::string by = h.value("CreatedBy", "");
        for (auto& ch : by)
            if (ch == '\t') ch = ' ';
        json r;
        r["Comment"] = h.value("Comment", "");
        r["CreatedAt"] = rfc3339(created);
        r["CreatedBy"] = trunc ? ellipsis(by, 45) : by;
        r["CreatedSince"] = human ? timeAgo(created, now) : rfc3339(created);
        r["ID"] = trunc && id != "<missing>" ? truncateId(id) : id;
        r["Size"] = human ? humanSizePrec(static_cast<double>(size), 3) : std::to_string(size);
        std::string tags;
        if (h.contains("Tags") && h["Tags"].is_array())
            for (auto& t : h["Tags"]) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
        r["Tags"] = tags;
        rows.push_back(std::move(r));
    }
    json headers = {{"ID", "IMAGE"},
                    {"CreatedSince", "CREATED"},
                    {"CreatedAt", "CREATED AT"},
                    {"CreatedBy", "CREATED BY"},
                    {"Size", "SIZE"},
                    {"Comment", "COMMENT"},
                    {"Tags", "TAGS"}};
    ListFormat lf;
    lf.defaultTable = human ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
                              "{{.Comment}}"
                            : "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t"
                              "{{.Comment}}";
    ctx.out(TRY(renderList(f.s("format"), rows, headers, lf, f.b("quiet"))));
    return 0;
}

}  // namespace

Command cmdHistory() {
    Command c;
    c.name = "history";
    c.use = "[OPTIONS] IMAGE";
    c.shortHelp = "Show the history of an image";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.string("format", 0, "", kInfoFormatListUsage);
        f.boolean("human", 'H', "Print sizes and dates in human readable format", true);
        f.boolean("no-trunc", 0, "Don't truncate output");
        f.string("platform", 0, "",
                 "Show history for the given platform. Formatted as \"os[/arch[/variant]]\" "
                 "(e.g., \"linux/amd64\")");
        f.boolean("quiet", 'q', "Only show image IDs");
    };
    c.run = runHistory;
    return c;
}

}  // namespace berth::cli
