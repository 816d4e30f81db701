// `berth ps`: list containers, with docker's container context fields for --format.
#include <algorithm>
#include <ctime>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

constexpr std::string_view kPsTable =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
    "{{.Names}}";
constexpr std::string_view kPsTableSize =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
    "{{.Names}}\t{{.Size}}";

json psHeaders() {
    return json{{"ID", "CONTAINER ID"},
                {"Names", "NAMES"},
                {"Image", "IMAGE"},
                {"Command", "COMMAND"},
                {"CreatedAt", "CREATED AT"},
                {"RunningFor", "CREATED"},
                {"Ports", "PORTS"},
                {"State", "STATE"},
                {"Status", "STATUS"},
                {"Size", "SIZE"},
                {"Labels", "LABELS"},
                {"Mounts", "MOUNTS"},
                {"LocalVolumes", "LOCAL VOLUMES"},
                {"Networks", "NETWORKS"},
                {"Platform", "PLATFORM"}};
}

// reference.FamiliarString of the image without its digest (docker shows "name:tag").
std::string familiarImage(std::string image) {
    auto at = image.find('@');
    if (at != std::string::npos) image.erase(at);
    for (std::string_view p : {"docker.io/library/", "index.docker.io/library/"})
        if (image.starts_with(p) && image.find('/', p.size()) == std::string::npos)
            return image.substr(p.size());
    for (std::string_view p : {"docker.io/", "index.docker.io/"})
        if (image.starts_with(p)) return image.substr(p.size());
    return image;
}

std::string joinSorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

}  // namespace

json psRow(const json& c, bool trunc, int64_t now) {
    json r = json::object();
    std::string id = c.value("Id", "");
    r["ID"] = trunc ? truncateId(id) : id;

    std::vector<std::string> names;
    for (auto& n : c.value("Names", json::array())) {
        std::string s = n.get<std::string>();
        names.push_back(s.empty() ? s : s.substr(1));
    }
    if (trunc)
        for (auto& n : names)
            if (n.find('/') == std::string::npos) {
                names = {n};
                break;
            }
    std::string joined;
    for (auto& n : names) joined += (joined.empty() ? "" : ",") + n;
    r["Names"] = joined;

    std::string image = c.value("Image", "");
    if (image.empty()) {
        image = "<no image>";
    } else if (trunc) {
        std::string imageId = c.value("ImageID", "");
        if (truncateId(imageId) == truncateId(image))
            image = truncateId(image);
        else
            image = familiarImage(image);
    }
    r["Image"] = image;

    std::string cmd = c.value("Command", "");
    r["Command"] = go::quote(trunc ? ellipsis(cmd, 20) : cmd);
    int64_t created = c.value("Created", int64_t{0});
    r["CreatedAt"] = goTimeString(created);
    r["RunningFor"] = timeAgo(created, now);
    r["Ports"] = infoDisplayablePorts(c.value("Ports", json::array()));
    r["State"] = c.value("State", "");
    r["Status"] = c.value("Status", "");

    double rw = c.value("SizeRw", 0.0), rootfs = c.value("SizeRootFs", 0.0);
    std::string size = humanSizePrec(rw, 3);
    if (rootfs > 0) size += " (virtual " + humanSizePrec(rootfs, 3) + ")";
    r["Size"] = size;

    std::vector<std::string> labels;
    json labelMap = json::object();
    if (c.contains("Labels") && c["Labels"].is_object()) {
        labelMap = c["Labels"];
        for (auto& [k, v] : labelMap.items())
            labels.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
    }
    r["Labels"] = joinSorted(labels);
    // docker's Label method: the template indexes this object ({{.Label "k"}}).
    r["Label"] = labelMap;

    std::vector<std::string> mounts;
    int local = 0;
    for (auto& m : c.value("Mounts", json::array())) {
        std::string name = m.value("Name", "");
        if (name.empty()) name = m.value("Source", "");
        mounts.push_back(trunc ? ellipsis(name, 15) : name);
        if (m.value("Driver", "") == "local") ++local;
    }
    std::string ms;
    for (auto& m : mounts) ms += (ms.empty() ? "" : ",") + m;
    r["Mounts"] = ms;
    r["LocalVolumes"] = std::to_string(local);

    std::vector<std::string> nets;
    if (c.contains("NetworkSettings") && c["NetworkSettings"].is_object()) {
        auto& ns = c["NetworkSettings"];
        if (ns.contains("Networks") && ns["Networks"].is_object())
            for (auto& [k, v] : ns["Networks"].items()) nets.push_back(k);
    }
    r["Networks"] = joinSorted(nets);
    r["Platform"] = nullptr;
    return r;
}

namespace {

// docker validates a custom template against its container context before listing.
Status checkFields(std::string_view format) {
    std::string_view body = format;
    if (body == "table" || body == "json" || body.empty()) return {};
    if (body.starts_with("table ")) body.remove_prefix(6);
    auto t = Template::parse(body);
    if (!t) return Error{0, "failed to parse template: " + t.error().msg, true};
    json probe = psRow(json::object(), true, 0);
    ExecOptions o;
    o.missingKeyError = true;
    auto r = t->execute(probe, o);
    if (r) return {};
    std::string msg = r.error().msg;
    // Go's error on a struct reads "can't evaluate field X in type *formatter.ContainerContext".
    const std::string key = "map has no entry for key \"";
    if (auto p = msg.find(key); p != std::string::npos) {
        auto e = msg.find('"', p + key.size());
        std::string field = msg.substr(p + key.size(), e - p - key.size());
        msg = msg.substr(0, p) + "can't evaluate field " + field +
              " in type *formatter.ContainerContext";
    }
    return Error{1, "failed to execute template: " + msg, true};
}

// Whether a --format reads a row's field: by name, or through the whole row (`{{json .}}`,
// `{{.}}`), as docker's field tracking sees it (the `json` shorthand reads none: docker checks
// the text as given).
bool templateReadsField(const std::string& format, const std::string& field) {
    if (format.find("." + field) != std::string::npos) return true;
    static const std::regex wholeRow(R"(\{\{-?\s*(json\s+)?\.\s*-?\}\})");
    return std::regex_search(format, wholeRow);
}

Result<int> runPs(Ctx& ctx, const Flags& f) {
    std::string format = f.s("format");
    bool quiet = f.b("quiet");
    if (quiet && !format.empty()) {
        ctx.err("WARNING: Ignoring custom format, because both --format and --quiet are set.\n");
        format.clear();
    }
    bool size = f.b("size");
    if (!format.empty()) {
        TRY(checkFields(format));
        // docker asks for sizes when the template reads .Size, which `{{json .}}` and `{{.}}`
        // (the whole row) do too.
        if (!quiet && !f.changed("size") && templateReadsField(format, "Size")) size = true;
    }
    int64_t last = f.i("last");
    if (f.b("latest")) last = 1;
    std::string filters = TRY(filtersJson(f.l("filter")));
    std::string path = "/containers/json" + query({{"all", f.b("all") ? "1" : ""},
                                                   {"limit", last > 0 ? std::to_string(last) : ""},
                                                   {"size", size ? "1" : ""},
                                                   {"filters", filters}});
    json list = TRY(apiGet(ctx, path));
    bool trunc = !f.b("no-trunc");
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<json> rows;
    for (auto& c : list) rows.push_back(psRow(c, trunc, now));
    if (!quiet && (format == "json" || format == "{{json .}}")) {
        // docker marshals its context itself: HTML-escaped, without the Label method.
        std::string text;
        for (auto& r : rows) {
            r.erase("Label");
            text += goJsonCompact(r, true) + "\n";
        }
        ctx.out(text);
        return 0;
    }
    ListFormat lf;
    lf.defaultTable = size ? kPsTableSize : kPsTable;
    auto out = renderList(format, rows, psHeaders(), lf, quiet);
    if (!out) return Error{1, out.error().msg, true};
    ctx.out(*out);
    return 0;
}

}  // namespace

Command cmdPs() {
    Command c;
    c.name = "ps";
    c.use = "[OPTIONS]";
    c.shortHelp = "List containers";
    c.minArgs = 0;
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.boolean("all", 'a', "Show all containers (default shows just running)");
        f.list("filter", 'f', "Filter output based on conditions provided", "filter");
        f.string("format", 0, "", kInfoFormatListUsage);
        f.integer("last", 'n', -1, "Show n last created containers (includes all states)");
        f.boolean("latest", 'l', "Show the latest created container (includes all states)");
        f.boolean("no-trunc", 0, "Don't truncate output");
        f.boolean("quiet", 'q', "Only display container IDs");
        f.boolean("size", 's', "Display total file sizes");
    };
    c.run = runPs;
    return c;
}

}  // namespace berth::cli
