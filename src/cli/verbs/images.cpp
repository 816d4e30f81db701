// `berth images`: list images, one row per repository:tag as docker's classic table.
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"
#include "cli/verbs/image_ref.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

int64_t numOr(const json& o, const char* k, int64_t d) {
    auto it = o.find(k);
    return it != o.end() && it->is_number() ? it->get<int64_t>() : d;
}

std::vector<std::string> strings(const json& o, const char* k) {
    std::vector<std::string> v;
    auto it = o.find(k);
    if (it == o.end() || !it->is_array()) return v;
    for (auto& s : *it)
        if (s.is_string()) v.push_back(s.get<std::string>());
    return v;
}

json row(const json& img, const std::string& repo, const std::string& tag,
         const std::string& digest, bool trunc, int64_t now) {
    std::string id = img.value("Id", "");
    int64_t created = numOr(img, "Created", 0), size = numOr(img, "Size", 0);
    int64_t shared = numOr(img, "SharedSize", -1), containers = numOr(img, "Containers", -1);
    json r;
    r["Containers"] = containers == -1 ? "N/A" : std::to_string(containers);
    r["CreatedAt"] = goTimeString(created);
    r["CreatedSince"] = timeAgo(created, now);
    r["Digest"] = digest;
    r["ID"] = trunc ? truncateId(id) : id;
    r["Repository"] = repo;
    r["SharedSize"] = shared == -1 ? "N/A" : humanSize(static_cast<double>(shared));
    r["Size"] = humanSizePrec(static_cast<double>(size), 3);
    r["Tag"] = tag;
    r["UniqueSize"] =
        shared == -1 || size == -1 ? "N/A" : humanSize(static_cast<double>(size - shared));
    r["VirtualSize"] = humanSize(static_cast<double>(size));
    return r;
}

// docker's imageFormatTaggedAndDigest: rows per repository and tag (and digest with
// --digests); images with neither tags nor digests show as <none>.
void addRows(std::vector<json>& rows, const json& img, bool digests, bool trunc, int64_t now) {
    auto tags = strings(img, "RepoTags"), dig = strings(img, "RepoDigests");
    bool dangling =
        (tags.empty() && dig.empty()) || (tags.size() == 1 && dig.size() == 1 &&
                                          tags[0] == "<none>:<none>" && dig[0] == "<none>@<none>");
    if (dangling) {
        rows.push_back(row(img, "<none>", "<none>", "<none>", trunc, now));
        return;
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> repoTags, repoDigests;
    auto add = [](auto& v, const std::string& k, const std::string& val) {
        for (auto& [name, vals] : v)
            if (name == k) {
                vals.push_back(val);
                return;
            }
        v.push_back({k, {val}});
    };
    for (auto& t : tags) {
        auto r = parseImageRef(t);
        if (r.tag.empty() || !r.digest.empty() || t == "<none>:<none>") continue;
        add(repoTags, r.name, r.tag);
    }
    for (auto& d : dig) {
        auto r = parseImageRef(d);
        if (r.digest.empty() || d == "<none>@<none>") continue;
        add(repoDigests, r.name, r.digest);
    }
    for (auto& [repo, ts] : repoTags) {
        std::vector<std::string> ds;
        for (auto it = repoDigests.begin(); it != repoDigests.end(); ++it)
            if (it->first == repo) {
                ds = it->second;
                repoDigests.erase(it);
                break;
            }
        if (!digests) ds.clear();
        for (auto& t : ts) {
            if (ds.empty()) rows.push_back(row(img, repo, t, "<none>", trunc, now));
            for (auto& d : ds) rows.push_back(row(img, repo, t, d, trunc, now));
        }
    }
    for (auto& [repo, ds] : repoDigests) {
        if (digests)
            for (auto& d : ds) rows.push_back(row(img, repo, "<none>", d, trunc, now));
        else
            rows.push_back(row(img, repo, "<none>", "", trunc, now));
    }
}

Result<int> runImages(Ctx& ctx, const Flags& f) {
    auto filters = f.l("filter");
    if (!f.args().empty()) filters.push_back("reference=" + f.args()[0]);
    auto fj = TRY(filtersJson(filters));
    auto list =
        TRY(apiGet(ctx, "/images/json" + query({{"all", f.b("all") ? "1" : ""}, {"filters", fj}})));
    int64_t now = std::time(nullptr);
    std::vector<json> rows;
    for (auto& img : list) addRows(rows, img, f.b("digests"), !f.b("no-trunc"), now);
    json headers = {{"Repository", "REPOSITORY"},
                    {"Tag", "TAG"},
                    {"ID", "IMAGE ID"},
                    {"Digest", "DIGEST"},
                    {"CreatedSince", "CREATED"},
                    {"CreatedAt", "CREATED AT"},
                    {"Size", "SIZE"},
                    {"Containers", "CONTAINERS"},
                    {"SharedSize", "SHARED SIZE"},
                    {"UniqueSize", "UNIQUE SIZE"},
                    {"VirtualSize", "VIRTUAL SIZE"}};
    ListFormat lf;
    lf.defaultTable = f.b("digests") ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                                       "{{.CreatedSince}}\t{{.Size}}"
                                     : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
                                       "{{.CreatedSince}}\t{{.Size}}";
    auto out = TRY(renderList(f.s("format"), rows, headers, lf, f.b("quiet")));
    ctx.out(out);
    return 0;
}

}  // namespace

Command cmdImages() {
    Command c;
    c.name = "images";
    c.use = "[OPTIONS] [REPOSITORY[:TAG]]";
    c.shortHelp = "List images";
    c.minArgs = 0;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.boolean("all", 'a', "Show all images (default hides intermediate images)");
        f.boolean("digests", 0, "Show digests");
        f.list("filter", 'f', "Filter output based on conditions provided", "filter");
        f.string("format", 0, "", kInfoFormatListUsage);
        f.boolean("no-trunc", 0, "Don't truncate output");
        f.boolean("quiet", 'q', "Only show image IDs");
        f.boolean("tree", 0, "List multi-platform images as a tree (EXPERIMENTAL)");
    };
    c.run = runImages;
    return c;
}

}  // namespace berth::cli
