// `berth system df`: disk usage of images, containers, volumes and build cache (GET /system/df),
// with docker's summary table and percentages, or its per-object tables with -v.
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/table.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/sys_format.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

using nlohmann::json;

int64_t i64(const json& o, const char* k, int64_t def = 0) {
    if (!o.is_object() || !o.contains(k) || !o[k].is_number()) return def;
    return o[k].get<int64_t>();
}

std::string size(int64_t n) {
    return humanSize(static_cast<double>(n));
}

std::string size3(int64_t n) {
    return humanSizePrec(static_cast<double>(n), 3);
}

std::string withPercent(int64_t reclaimable, int64_t total) {
    if (total > 0) return fmt::format("{} ({}%)", size(reclaimable), reclaimable * 100 / total);
    return size(reclaimable);
}

bool activeState(const std::string& s) {
    return s.find("running") != std::string::npos || s.find("paused") != std::string::npos ||
           s.find("restarting") != std::string::npos;
}

json arr(const json& df, const char* k) {
    return df.contains(k) && df[k].is_array() ? df[k] : json::array();
}

json summaryRows(const json& df) {
    json rows = json::array();
    json images = arr(df, "Images"), ctrs = arr(df, "Containers"), vols = arr(df, "Volumes"),
         cache = arr(df, "BuildCache");
    int64_t layers = i64(df, "LayersSize"), used = 0, active = 0;
    for (auto& i : images) {
        if (i64(i, "Containers") == 0) continue;
        active++;
        int64_t s = i64(i, "Size", -1), sh = i64(i, "SharedSize", -1);
        if (s != -1 && sh != -1) used += s - sh;
    }
    rows.push_back({{"Type", "Images"},
                    {"TotalCount", std::to_string(images.size())},
                    {"Active", std::to_string(active)},
                    {"Size", size(layers)},
                    {"Reclaimable", withPercent(layers - used, layers)}});
    int64_t total = 0, recl = 0;
    active = 0;
    for (auto& c : ctrs) {
        bool on = activeState(c.value("State", std::string()));
        if (on) active++;
        int64_t rw = i64(c, "SizeRw");
        total += rw;
        if (!on) recl += rw;
    }
    rows.push_back({{"Type", "Containers"},
                    {"TotalCount", std::to_string(ctrs.size())},
                    {"Active", std::to_string(active)},
                    {"Size", size(total)},
                    {"Reclaimable", withPercent(recl, total)}});
    total = recl = active = 0;
    for (auto& v : vols) {
        json u = v.value("UsageData", json::object());
        int64_t refs = i64(u, "RefCount", -1), s = i64(u, "Size", -1);
        if (refs > 0) active++;
        if (s != -1) {
            if (refs == 0) recl += s;
            total += s;
        }
    }
    rows.push_back({{"Type", "Local Volumes"},
                    {"TotalCount", std::to_string(vols.size())},
                    {"Active", std::to_string(active)},
                    {"Size", size(total)},
                    {"Reclaimable", withPercent(recl, total)}});
    total = recl = active = 0;
    for (auto& b : cache) {
        bool inUse = b.value("InUse", false), shared = b.value("Shared", false);
        if (inUse) active++;
        if (!shared) total += i64(b, "Size");
        if (!inUse && !shared) recl += i64(b, "Size");
    }
    rows.push_back({{"Type", "Build Cache"},
                    {"TotalCount", std::to_string(cache.size())},
                    {"Active", std::to_string(active)},
                    {"Size", size(total)},
                    {"Reclaimable", size(recl)}});
    return rows;
}

int64_t unixTime(const json& v) {
    if (v.is_number()) return v.get<int64_t>();
    if (!v.is_string()) return 0;
    std::tm tm{};
    if (!strptime(v.get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
    return timegm(&tm);
}

std::string verbose(const json& df) {
    int64_t now = std::time(nullptr);
    std::string out = "Images space usage:\n\n";
    std::string t =
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS\n";
    for (auto& i : arr(df, "Images")) {
        std::string repo = "<none>", tag = "<none>";
        json tags = i.value("RepoTags", json::array());
        if (tags.is_array() && !tags.empty() && tags[0] != "<none>:<none>") {
            std::string rt = tags[0].get<std::string>();
            auto colon = rt.rfind(':');
            if (colon != std::string::npos && rt.find('/', colon) == std::string::npos) {
                repo = rt.substr(0, colon);
                tag = rt.substr(colon + 1);
            }
        }
        int64_t s = i64(i, "Size"), sh = i64(i, "SharedSize", -1);
        t += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", repo, tag,
                         truncateId(i.value("Id", std::string())), timeAgo(i64(i, "Created"), now),
                         size3(s), sh == -1 ? "N/A" : size(sh), sh == -1 ? "N/A" : size(s - sh),
                         i64(i, "Containers"));
    }
    out += tabwrite(t) + "\nContainers space usage:\n\n";
    t = "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES\n";
    for (auto& c : arr(df, "Containers")) {
        int64_t vols = 0;
        for (auto& m : c.value("Mounts", json::array()))
            if (m.value("Driver", std::string()) == "local") vols++;
        std::string names;
        for (auto& n : c.value("Names", json::array())) {
            std::string s = n.get<std::string>();
            if (!s.empty() && s[0] == '/') s.erase(0, 1);
            if (s.find('/') != std::string::npos) continue;
            names += (names.empty() ? "" : ",") + s;
        }
        std::string image = c.value("Image", std::string());
        if (image.rfind("sha256:", 0) == 0) image = truncateId(image);
        std::string sz = size3(i64(c, "SizeRw"));  // docker 28 leaves the virtual size out
        t += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                         truncateId(c.value("Id", std::string())), image,
                         json(ellipsis(c.value("Command", std::string()), 20)).dump(), vols, sz,
                         timeAgo(i64(c, "Created"), now), c.value("Status", std::string()), names);
    }
    out += tabwrite(t) + "\nLocal Volumes space usage:\n\n";
    t = "VOLUME NAME\tLINKS\tSIZE\n";
    for (auto& v : arr(df, "Volumes")) {
        json u = v.value("UsageData", json::object());
        int64_t s = i64(u, "Size", -1);
        t += fmt::format("{}\t{}\t{}\n", v.value("Name", std::string()), i64(u, "RefCount", -1),
                         s == -1 ? "N/A" : size(s));
    }
    int64_t cacheSize = 0;
    std::string ct = "CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n";
    for (auto& b : arr(df, "BuildCache")) {
        if (!b.value("Shared", false)) cacheSize += i64(b, "Size");
        std::string id = b.value("ID", std::string());
        if (b.value("InUse", false)) id += "*";
        json last = b.value("LastUsedAt", json());
        ct +=
            fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", id, b.value("Type", std::string()),
                        size(i64(b, "Size")), timeAgo(unixTime(b.value("CreatedAt", json())), now),
                        last.is_null() ? "" : timeAgo(unixTime(last), now), i64(b, "UsageCount"),
                        b.value("Shared", false) ? "true" : "false");
    }
    out += tabwrite(t) + "\nBuild cache usage: " + size(cacheSize) + "\n\n" + tabwrite(ct);
    return out;
}

}  // namespace

Command cmdSystemDf() {
    Command c;
    c.name = "df";
    c.use = "[OPTIONS]";
    c.shortHelp = "Show berth disk usage";
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.string("format", 0, "", kInfoFormatListUsage);
        f.boolean("verbose", 'v', "Show detailed information on space usage");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        json df = TRY(apiGet(ctx, "/system/df"));
        const std::string& format = f.s("format");
        if (f.b("verbose") && (format.empty() || format == "table")) {
            ctx.out(verbose(df));
            return 0;
        }
        json headers = {{"Type", "TYPE"},
                        {"TotalCount", "TOTAL"},
                        {"Active", "ACTIVE"},
                        {"Size", "SIZE"},
                        {"Reclaimable", "RECLAIMABLE"}};
        json rows = summaryRows(df);
        ctx.out(TRY(renderList(
            format, std::vector<json>(rows.begin(), rows.end()), headers,
            {"table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"})));
        return 0;
    };
    return c;
}

}  // namespace berth::cli
