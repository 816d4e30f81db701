// compose ps, ls, logs, config, images, top, port, version.
#include <ctime>

#include <algorithm>
#include <map>
#include <set>

#include "cli/compose/logs.h"
#include "cli/compose/session.h"
#include "cli/compose/verbs.h"
#include "cli/format.h"
#include "cli/table.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"
#include "compose/labels.h"
#include "compose/yaml.h"

namespace berth::cli::compose {

namespace lbl = berth::compose::label;

namespace {

Command verb(std::string name, std::string use, std::string help, RunFn run) {
    Command c;
    c.name = std::move(name);
    c.use = std::move(use);
    c.shortHelp = std::move(help);
    c.run = std::move(run);
    return c;
}

std::string healthOf(const std::string& status) {
    if (status.find("(healthy)") != std::string::npos) return "healthy";
    if (status.find("(unhealthy)") != std::string::npos) return "unhealthy";
    if (status.find("(health: starting)") != std::string::npos) return "starting";
    return "";
}

Result<int> runPs(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    std::vector<std::string> statuses = f.l("status");
    for (auto& fl : f.l("filter")) {
        if (fl.rfind("status=", 0) != 0)
            return invalid("invalid filter \"{}\": only status=... is supported", fl);
        statuses.push_back(fl.substr(7));
    }
    bool all = f.b("all") || !statuses.empty();
    auto ctrs =
        TRY(listContainers(ctx, p.name, all, f.args(), all ? Oneoff::Include : Oneoff::Exclude));
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<json> rows;
    std::set<std::string> services;
    for (auto& c : ctrs) {
        if (!statuses.empty() &&
            std::find(statuses.begin(), statuses.end(), c.state) == statuses.end())
            continue;
        if (f.b("services")) {
            if (services.insert(c.service).second) ctx.out(c.service + "\n");
            continue;
        }
        json r = psRow(c.raw, !f.b("no-trunc"), now);
        r["Name"] = c.name;
        r["Project"] = p.name;
        r["Service"] = c.service;
        r["Health"] = healthOf(r.value("Status", ""));
        r["ExitCode"] = 0;
        if (c.state == "exited") {
            std::string st = r.value("Status", "");
            auto lp = st.find('('), rp = st.find(')');
            if (lp != std::string::npos && rp != std::string::npos)
                r["ExitCode"] = std::atoi(st.substr(lp + 1, rp - lp - 1).c_str());
        }
        rows.push_back(std::move(r));
    }
    if (f.b("services")) return 0;
    json headers = {{"ID", "CONTAINER ID"},    {"Name", "NAME"},
                    {"Names", "NAMES"},        {"Image", "IMAGE"},
                    {"Command", "COMMAND"},    {"Service", "SERVICE"},
                    {"RunningFor", "CREATED"}, {"CreatedAt", "CREATED AT"},
                    {"Status", "STATUS"},      {"State", "STATE"},
                    {"Ports", "PORTS"},        {"Project", "PROJECT"},
                    {"Health", "HEALTH"},      {"ExitCode", "EXIT CODE"}};
    ListFormat lf;
    lf.defaultTable =
        "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t"
        "{{.Ports}}";
    lf.quietFormat = "{{.ID}}";
    std::string format = f.s("format");
    ctx.out(TRY(renderList(format, rows, headers, lf, f.b("quiet"))));
    return 0;
}

Result<int> runLs(Ctx& ctx, const Flags& f) {
    json filters = {{"label", json::array({lbl::kProject})}};
    json list =
        TRY(apiGet(ctx, "/containers/json" + query({{"all", "1"}, {"filters", filters.dump()}})));
    struct Proj {
        std::map<std::string, int> states;
        std::set<std::string> files;
    };
    std::map<std::string, Proj> projects;
    for (auto& c : list) {
        const json& l = c.value("Labels", json::object());
        std::string name = l.value(lbl::kProject, "");
        if (name.empty()) continue;
        auto& pr = projects[name];
        pr.states[c.value("State", "")]++;
        std::string files = l.value(lbl::kConfigFiles, "");
        if (!files.empty()) pr.files.insert(files);
    }
    std::vector<std::string> nameFilters;
    for (auto& fl : f.l("filter")) {
        if (fl.rfind("name=", 0) != 0)
            return invalid("invalid filter \"{}\": only name=... is supported", fl);
        nameFilters.push_back(fl.substr(5));
    }
    std::vector<json> rows;
    for (auto& [name, pr] : projects) {
        if (!f.b("all") && !pr.states.count("running")) continue;
        if (!nameFilters.empty() &&
            std::none_of(nameFilters.begin(), nameFilters.end(),
                         [&](const std::string& n) { return name.find(n) != std::string::npos; }))
            continue;
        std::string status;
        for (auto& [st, n] : pr.states)
            status += (status.empty() ? "" : ", ") + fmt::format("{}({})", st, n);
        std::string files;
        for (auto& x : pr.files) files += (files.empty() ? "" : ",") + x;
        rows.push_back({{"Name", name}, {"Status", status}, {"ConfigFiles", files}});
    }
    std::string format = f.s("format");
    if (format == "json") {
        ctx.out(goJsonCompact(json(rows)) + "\n");
        return 0;
    }
    json headers = {{"Name", "NAME"}, {"Status", "STATUS"}, {"ConfigFiles", "CONFIG FILES"}};
    ListFormat lf;
    lf.defaultTable = "table {{.Name}}\t{{.Status}}\t{{.ConfigFiles}}";
    lf.quietFormat = "{{.Name}}";
    ctx.out(TRY(renderList(format == "table" ? "" : format, rows, headers, lf, f.b("quiet"))));
    return 0;
}

Result<int> runLogs(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    auto ctrs = TRY(listContainers(ctx, p.name, true, f.args()));
    if (f.changed("index")) {
        int idx = static_cast<int>(f.i("index"));
        std::erase_if(ctrs, [&](const Ctr& c) { return c.number != idx; });
    }
    LogOptions lo;
    lo.follow = f.b("follow");
    lo.timestamps = f.b("timestamps");
    lo.colour = !f.b("no-color") && useColour(ctx);
    lo.prefix = !f.b("no-log-prefix");
    lo.tail = f.s("tail");
    lo.until = TRY(infoApiTimestamp(f.s("until")));
    std::string since = TRY(infoApiTimestamp(f.s("since")));
    LogPrinter printer(ctx, lo);
    for (auto& c : ctrs) printer.reserveWidth(c.name.size());
    for (auto& c : ctrs) {
        json in = TRY(inspectContainer(ctx, c.id));
        bool tty = in.contains("Config") && in["Config"].value("Tty", false);
        printer.add({c.id, c.name, c.service, tty, since});
    }
    printer.wait();
    TRY(printer.status());
    return 0;
}

void escapeDollars(json& v) {
    if (v.is_string()) {
        std::string s = v.get<std::string>(), o;
        for (char c : s) o += c == '$' ? std::string("$$") : std::string(1, c);
        v = o;
    } else if (v.is_structured()) {
        for (auto& x : v) escapeDollars(x);
    }
}

Result<int> runConfig(Ctx& ctx, const Flags& f) {
    LoadWhat w;
    w.services = f.args();
    w.interpolate = !f.b("no-interpolate");
    w.normalize = !f.b("no-normalize");
    w.resolvePaths = !f.b("no-path-resolution");
    w.warnings = !f.b("quiet");
    auto p = TRY(loadProject(ctx, w));
    json m = p.model;
    if (!f.args().empty() && m.contains("services")) {
        json keep = json::object();
        for (auto& s : f.args())
            if (m["services"].contains(s)) keep[s] = m["services"][s];
        m["services"] = keep;
    }
    if (f.b("quiet")) return 0;
    std::string out;
    auto keysOf = [&](const char* section) {
        if (m.contains(section) && m[section].is_object())
            for (auto& [k, v] : m[section].items()) out += k + "\n";
    };
    if (f.b("services")) {
        keysOf("services");
    } else if (f.b("volumes")) {
        keysOf("volumes");
    } else if (f.b("networks")) {
        keysOf("networks");
    } else if (f.b("profiles")) {
        std::set<std::string> prof;
        if (m.contains("services"))
            for (auto& [k, s] : m["services"].items())
                if (s.contains("profiles"))
                    for (auto& x : s["profiles"]) prof.insert(x.get<std::string>());
        for (auto& x : prof) out += x + "\n";
    } else if (f.b("images")) {
        if (m.contains("services"))
            for (auto& [k, s] : m["services"].items())
                out += s.value("image", p.name + "-" + k) + "\n";
    } else if (f.s("format") == "json") {
        out = m.dump(4) + "\n";
    } else if (f.s("format") == "yaml" || f.s("format").empty()) {
        // As docker compose prints it: a literal $ written back as $$ (so the output loads
        // again to the same model), the sections in the spec's order.
        if (w.interpolate) escapeDollars(m);
        for (const char* k : {"name", "services", "networks", "volumes", "secrets", "configs"})
            if (m.contains(k)) out += model::toYaml(json{{k, m[k]}});
        for (auto& [k, v] : m.items())
            if (k != "name" && k != "services" && k != "networks" && k != "volumes" &&
                k != "secrets" && k != "configs")
                out += model::toYaml(json{{k, v}});
    } else {
        return invalid("unsupported format \"{}\"", f.s("format"));
    }
    if (!f.s("output").empty()) {
        FILE* fp = std::fopen(f.s("output").c_str(), "w");
        if (!fp) return errnoError("open {}", f.s("output"));
        std::fwrite(out.data(), 1, out.size(), fp);
        std::fclose(fp);
        return 0;
    }
    ctx.out(out);
    return 0;
}

Result<int> runImages(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    auto ctrs = TRY(listContainers(ctx, p.name, true, f.args()));
    std::vector<json> rows;
    for (auto& c : ctrs) {
        json in = TRY(inspectContainer(ctx, c.id));
        std::string imageId = in.value("Image", "");
        json img = TRY(inspectOrNull(ctx, "/images/" + urlEncode(imageId) + "/json"));
        std::string repo = "<none>", tag = "<none>";
        if (!img.is_null() && img.contains("RepoTags") && img["RepoTags"].is_array() &&
            !img["RepoTags"].empty()) {
            std::string rt = img["RepoTags"][0].get<std::string>();
            std::string want = c.image;
            for (auto& t : img["RepoTags"])
                if (t.get<std::string>() == want || t.get<std::string>() == want + ":latest")
                    rt = t.get<std::string>();
            auto colon = rt.rfind(':');
            repo = rt.substr(0, colon);
            tag = colon == std::string::npos ? "latest" : rt.substr(colon + 1);
        }
        double size = img.is_null() ? 0 : img.value("Size", 0.0);
        std::string id = imageId.rfind("sha256:", 0) == 0 ? imageId.substr(7) : imageId;
        rows.push_back({{"ContainerName", c.name},
                        {"Repository", repo},
                        {"Tag", tag},
                        {"ID", f.b("quiet") ? id : truncateId(id)},
                        {"Size", humanSizePrec(size, 3)}});
    }
    if (f.b("quiet")) {
        std::set<std::string> seen;
        for (auto& r : rows)
            if (seen.insert(r["ID"].get<std::string>()).second)
                ctx.out(r["ID"].get<std::string>() + "\n");
        return 0;
    }
    json headers = {{"ContainerName", "CONTAINER"},
                    {"Repository", "REPOSITORY"},
                    {"Tag", "TAG"},
                    {"ID", "IMAGE ID"},
                    {"Size", "SIZE"}};
    ListFormat lf;
    lf.defaultTable = "table {{.ContainerName}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}";
    ctx.out(TRY(renderList(f.s("format") == "table" ? "" : f.s("format"), rows, headers, lf)));
    return 0;
}

Result<int> runTop(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    auto ctrs = TRY(listContainers(ctx, p.name, false, f.args()));
    bool first = true;
    for (auto& c : ctrs) {
        json top = TRY(apiGet(ctx, "/containers/" + c.id + "/top"));
        std::string text;
        for (auto& t : top.value("Titles", json::array())) text += t.get<std::string>() + "\t";
        text += "\n";
        for (auto& row : top.value("Processes", json::array())) {
            for (auto& v : row) text += v.get<std::string>() + "\t";
            text += "\n";
        }
        ctx.out((first ? "" : "\n") + c.name + "\n" + tabwrite(text));
        first = false;
    }
    return 0;
}

Result<int> runPort(Ctx& ctx, const Flags& f) {
    model::Project p;
    p.name = TRY(projectNameOnly(ctx, &p));
    std::string svc = f.args()[0];
    std::string port = f.args()[1];
    auto ctrs = TRY(listContainers(ctx, p.name, false, {svc}));
    int idx = static_cast<int>(f.i("index"));
    const Ctr* c = nullptr;
    for (auto& x : ctrs)
        if (x.number == idx) c = &x;
    if (!c) return invalid("service \"{}\" is not running container #{}", svc, idx);
    json in = TRY(inspectContainer(ctx, c->id));
    std::string key = port + "/" + f.s("protocol");
    const json& ports = in["NetworkSettings"].value("Ports", json::object());
    if (!ports.contains(key) || !ports[key].is_array() || ports[key].empty())
        return invalid("no port {} for container {}", key, c->name);
    const json& b = ports[key][0];
    std::string ip = b.value("HostIp", "");
    ctx.out((ip.empty() ? "0.0.0.0" : ip) + ":" + b.value("HostPort", "") + "\n");
    return 0;
}

Result<int> runVersion(Ctx& ctx, const Flags& f) {
    std::string v = std::string("v") + berth::compose::kComposeVersion;
    if (f.b("short"))
        ctx.out(std::string(berth::compose::kComposeVersion) + "\n");
    else if (f.s("format") == "json")
        ctx.out(json{{"version", v}}.dump() + "\n");
    else
        ctx.out("Berth Compose version " + v + "\n");
    return 0;
}

}  // namespace

Command cmdPs() {
    Command c = verb("ps", "[OPTIONS] [SERVICE...]", "List containers", runPs);
    c.flags = [](Flags& f) {
        f.boolean("all", 'a',
                  "Show all stopped containers (including those created by the run "
                  "command)");
        f.list("filter", 0, "Filter services by a property (supported filters: status).", "string");
        f.string("format", 0, "table",
                 "Format output using a custom template:\n'table':            Print output in "
                 "table format with column headers (default)\n'table TEMPLATE':   Print output "
                 "in table format using the given Go template\n'json':             Print in "
                 "JSON format\n'TEMPLATE':         Print output using the given Go template.");
        f.boolean("no-trunc", 0, "Don't truncate output");
        f.boolean("orphans", 0, "Include orphaned services (not declared by project)");
        f.boolean("quiet", 'q', "Only display IDs");
        f.boolean("services", 0, "Display services");
        f.list("status", 0,
               "Filter services by status. Values: [paused | restarting | removing | running | "
               "dead | created | exited]",
               "stringArray");
    };
    return c;
}

Command cmdLs() {
    Command c = verb("ls", "[OPTIONS]", "List running compose projects", runLs);
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.boolean("all", 'a', "Show all stopped Compose projects");
        f.list("filter", 0, "Filter output based on conditions provided", "filter");
        f.string("format", 0, "table", "Format the output. Values: [table | json]");
        f.boolean("quiet", 'q', "Only display project names");
    };
    return c;
}

Command cmdLogs() {
    Command c = verb("logs", "[OPTIONS] [SERVICE...]", "View output from containers", runLogs);
    c.flags = [](Flags& f) {
        f.boolean("follow", 'f', "Follow log output");
        f.integer("index", 0, 0, "index of the container if service has multiple replicas")
            .noDefault();
        f.boolean("no-color", 0, "Produce monochrome output");
        f.boolean("no-log-prefix", 0, "Don't print prefix in logs");
        f.string("since", 0, "",
                 "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m "
                 "for 42 minutes)");
        f.string("tail", 'n', "all",
                 "Number of lines to show from the end of the logs for each container");
        f.boolean("timestamps", 't', "Show timestamps");
        f.string("until", 0, "",
                 "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. "
                 "42m for 42 minutes)");
    };
    return c;
}

Command cmdConfig() {
    Command c = verb("config", "[OPTIONS] [SERVICE...]",
                     "Parse, resolve and render compose file in canonical format", runConfig);
    c.flags = [](Flags& f) {
        f.string("format", 0, "yaml", "Format the output. Values: [yaml | json]");
        f.boolean("images", 0, "Print the image names, one per line.");
        f.boolean("networks", 0, "Print the network names, one per line.");
        f.boolean("no-interpolate", 0, "Don't interpolate environment variables");
        f.boolean("no-normalize", 0, "Don't normalize compose model");
        f.boolean("no-path-resolution", 0, "Don't resolve file paths");
        f.string("output", 'o', "", "Save to file (default to stdout)");
        f.boolean("profiles", 0, "Print the profile names, one per line.");
        f.boolean("quiet", 'q', "Only validate the configuration, don't print anything");
        f.boolean("services", 0, "Print the service names, one per line.");
        f.boolean("volumes", 0, "Print the volume names, one per line.");
    };
    return c;
}

Command cmdImages() {
    Command c = verb("images", "[OPTIONS] [SERVICE...]",
                     "List images used by the created containers", runImages);
    c.flags = [](Flags& f) {
        f.string("format", 0, "table", "Format the output. Values: [table | json]");
        f.boolean("quiet", 'q', "Only display IDs");
    };
    return c;
}

Command cmdTop() {
    return verb("top", "[SERVICES...]", "Display the running processes", runTop);
}

Command cmdPort() {
    Command c = verb("port", "[OPTIONS] SERVICE PRIVATE_PORT",
                     "Print the public port for a port binding", runPort);
    c.minArgs = 2;
    c.maxArgs = 2;
    c.flags = [](Flags& f) {
        f.integer("index", 0, 1, "Index of the container if service has multiple replicas");
        f.string("protocol", 0, "tcp", "tcp or udp");
    };
    return c;
}

Command cmdVersion() {
    Command c =
        verb("version", "[OPTIONS]", "Show the Docker Compose version information", runVersion);
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.string("format", 'f', "", "Format the output. Values: [pretty | json]. (Default: pretty)")
            .noDefault();
        f.boolean("short", 0, "Shows only Compose's version number");
    };
    return c;
}

}  // namespace berth::cli::compose
