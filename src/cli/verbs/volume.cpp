// `berth volume ...`: manage volumes (create, ls, inspect, rm, prune).
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/sys_format.h"
#include "cli/verbs/sys_prune.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

using nlohmann::json;

std::string volPath(const std::string& name) {
    return "/volumes/" + urlEncode(name);
}

Command create() {
    Command c;
    c.name = "create";
    c.use = "[OPTIONS] [VOLUME]";
    c.shortHelp = "Create a volume";
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.string("availability", 0, "active",
                 "Cluster Volume availability (\"active\", \"pause\", \"drain\")");
        f.string("driver", 'd', "local", "Specify volume driver name");
        f.string("group", 0, "", "Cluster Volume group (cluster volumes)");
        f.list("label", 0, "Set metadata for a volume");
        f.string("limit-bytes", 0, "", "Minimum size of the Cluster Volume in bytes", "bytes");
        f.list("opt", 'o', "Set driver specific options (default map[])", "map");
        f.string("required-bytes", 0, "", "Maximum size of the Cluster Volume in bytes", "bytes");
        f.string("scope", 0, "single", "Cluster Volume access scope (\"single\", \"multi\")");
        f.list("secret", 0, "Cluster Volume secrets (default map[])", "map");
        f.string("sharing", 0, "none",
                 "Cluster Volume access sharing (\"none\", \"readonly\", \"onewriter\", \"all\")");
        f.list("topology-preferred", 0, "A topology that the Cluster Volume would be preferred in");
        f.list("topology-required", 0,
               "A topology that the Cluster Volume must be accessible from");
        f.string("type", 0, "block", "Cluster Volume access type (\"mount\", \"block\")");
        f.string("name", 0, "", "Specify volume name").hide();
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string name = f.s("name");
        if (!f.args().empty()) {
            if (!name.empty() && name != f.args()[0])
                return invalid(
                    "conflicting options: cannot specify a volume-name through both "
                    "--name and as a positional arg");
            name = f.args()[0];
        }
        json body = {{"Name", name},
                     {"Driver", f.s("driver")},
                     {"DriverOpts", keyValues(f.l("opt"))},
                     {"Labels", keyValues(f.l("label"))}};
        auto r = TRY(apiPost(ctx, "/volumes/create", body));
        ctx.out(r.value("Name", std::string()) + "\n");
        return 0;
    };
    return c;
}

Command ls() {
    Command c;
    c.name = "ls";
    c.aliases = {"list"};
    c.use = "[OPTIONS]";
    c.shortHelp = "List volumes";
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.boolean("cluster", 0,
                  "Display only cluster volumes, and use cluster volume list formatting");
        f.list("filter", 'f', "Provide filter values (e.g. \"dangling=true\")", "filter");
        f.string("format", 0, "", kInfoFormatListUsage);
        f.boolean("quiet", 'q', "Only display volume names");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string fj = TRY(filtersJson(f.l("filter")));
        json r = TRY(apiGet(ctx, "/volumes" + query({{"filters", fj}})));
        std::vector<json> vols;
        if (r.is_object() && r.contains("Volumes") && r["Volumes"].is_array())
            vols.assign(r["Volumes"].begin(), r["Volumes"].end());
        if (r.is_object() && r.contains("Warnings") && r["Warnings"].is_array())
            for (auto& w : r["Warnings"])
                if (w.is_string()) ctx.err(w.get<std::string>() + "\n");
        std::stable_sort(vols.begin(), vols.end(), [](const json& a, const json& b) {
            return sysNaturalLess(a.value("Name", std::string()), b.value("Name", std::string()));
        });
        json rows = json::array();
        for (auto& v : vols) {
            if (f.b("cluster") && !v.contains("ClusterVolume")) continue;
            std::string links = "N/A", size = "N/A";
            if (v.contains("UsageData") && v["UsageData"].is_object()) {
                auto& u = v["UsageData"];
                links = std::to_string(u.value("RefCount", int64_t{-1}));
                int64_t sz = u.value("Size", int64_t{-1});
                if (sz != -1) size = humanSize(static_cast<double>(sz));
            }
            rows.push_back({{"Availability", "N/A"},
                            {"Driver", v.value("Driver", std::string())},
                            {"Group", "N/A"},
                            {"Labels", sysJoinLabels(v.value("Labels", json::object()))},
                            {"Links", links},
                            {"Mountpoint", v.value("Mountpoint", std::string())},
                            {"Name", v.value("Name", std::string())},
                            {"Scope", v.value("Scope", std::string())},
                            {"Size", size},
                            {"Status", "N/A"}});
        }
        std::string format = f.s("format");
        if (f.b("quiet"))
            format =
                format.empty() || format.rfind("table", 0) == 0 ? "{{.Name}}" : "name: {{.Name}}";
        json headers = {{"Availability", "AVAILABILITY"},
                        {"Driver", "DRIVER"},
                        {"Group", "GROUP"},
                        {"Labels", "LABELS"},
                        {"Links", "LINKS"},
                        {"Mountpoint", "MOUNTPOINT"},
                        {"Name", "VOLUME NAME"},
                        {"Scope", "SCOPE"},
                        {"Size", "SIZE"},
                        {"Status", "STATUS"}};
        ctx.out(TRY(renderList(format, std::vector<json>(rows.begin(), rows.end()), headers,
                               {"table {{.Driver}}\t{{.Name}}"})));
        return 0;
    };
    return c;
}

Command inspect() {
    Command c;
    c.name = "inspect";
    c.use = "[OPTIONS] VOLUME [VOLUME...]";
    c.shortHelp = "Display detailed information on one or more volumes";
    c.minArgs = 1;
    c.flags = [](Flags& f) { f.string("format", 'f', "", kInfoFormatJsonUsage); };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        json found = json::array();
        std::string errs;
        for (auto& n : f.args()) {
            auto r = apiGet(ctx, volPath(n));
            if (!r) {
                if (r.error().msg.rfind("cannot reach berthd", 0) == 0) return std::move(r).error();
                errs += r.error().msg + "\n";
                continue;
            }
            found.push_back(std::move(*r));
        }
        auto each = TRY(renderEach(f.s("format"), std::vector<json>(found.begin(), found.end())));
        ctx.out(each.out);
        for (auto& e : each.errors) errs += e + "\n";
        ctx.err(errs);
        return errs.empty() ? 0 : 1;
    };
    return c;
}

Command rm() {
    Command c;
    c.name = "rm";
    c.aliases = {"remove"};
    c.use = "[OPTIONS] VOLUME [VOLUME...]";
    c.shortHelp = "Remove one or more volumes";
    c.longHelp =
        "Remove one or more volumes. You cannot remove a volume that is in use by a "
        "container.";
    c.minArgs = 1;
    c.flags = [](Flags& f) { f.boolean("force", 'f', "Force the removal of one or more volumes"); };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string q = query({{"force", f.b("force") ? "1" : ""}});
        return forEach(ctx, f.args(), true, [&](const std::string& n) -> Status {
            Request r;
            r.method = "DELETE";
            r.path = volPath(n) + q;
            TRY(apiCall(ctx, std::move(r)));
            return okStatus();
        });
    };
    return c;
}

Command prune() {
    Command c;
    c.name = "prune";
    c.use = "[OPTIONS]";
    c.shortHelp = "Remove unused local volumes";
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.boolean("all", 'a', "Remove all unused volumes, not just anonymous ones");
        f.list("filter", 0, "Provide filter values (e.g. \"label=<label>\")", "filter");
        f.boolean("force", 'f', "Do not prompt for confirmation");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::vector<std::string> filters = f.l("filter");
        if (f.b("all")) {
            for (auto& x : filters)
                if (x.rfind("all=", 0) == 0)
                    return invalid(
                        "conflicting options: cannot specify both --all and "
                        "--filter all=1");
            filters.push_back("all=true");
        }
        std::string warning = f.b("all") ? "WARNING! This will remove all local volumes not "
                                           "used by at least one container."
                                         : "WARNING! This will remove anonymous local volumes "
                                           "not used by at least one container.";
        if (!f.b("force") && !sysConfirm(ctx, warning)) return 0;
        auto rep = TRY(sysPrune(ctx, "volumes", filters));
        if (!rep.output.empty()) ctx.out(rep.output + "\n");
        ctx.out("Total reclaimed space: " + humanSize(static_cast<double>(rep.reclaimed)) + "\n");
        return 0;
    };
    return c;
}

}  // namespace

Command cmdVolume() {
    Command c;
    c.name = "volume";
    c.shortHelp = "Manage volumes";
    c.subs = {create(), inspect(), ls(), prune(), rm()};
    return c;
}

}  // namespace berth::cli
