// `berth network ...`: manage networks (create, ls, inspect, connect, disconnect, rm, prune).
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/sys_format.h"
#include "cli/verbs/sys_net.h"
#include "cli/verbs/sys_prune.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

using nlohmann::json;

std::string netPath(const std::string& name) {
    return "/networks/" + urlEncode(name);
}

Command create() {
    Command c;
    c.name = "create";
    c.use = "[OPTIONS] NETWORK";
    c.shortHelp = "Create a network";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.boolean("attachable", 0, "Enable manual container attachment");
        f.list("aux-address", 0,
               "Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])", "map");
        f.string("config-from", 0, "", "The network from which to copy the configuration");
        f.boolean("config-only", 0, "Create a configuration only network");
        f.string("driver", 'd', "bridge", "Driver to manage the Network");
        f.list("gateway", 0, "IPv4 or IPv6 Gateway for the master subnet", "strings");
        f.boolean("ingress", 0, "Create swarm routing-mesh network");
        f.boolean("internal", 0, "Restrict external access to the network");
        f.list("ip-range", 0, "Allocate container ip from a sub-range", "strings");
        f.string("ipam-driver", 0, "default", "IP Address Management Driver");
        f.list("ipam-opt", 0, "Set IPAM driver specific options (default map[])", "map");
        f.boolean("ipv4", 0, "Enable or disable IPv4 address assignment", true);
        f.boolean("ipv6", 0, "Enable or disable IPv6 address assignment");
        f.list("label", 0, "Set metadata on a network");
        f.list("opt", 'o', "Set driver specific options (default map[])", "map");
        f.string("scope", 0, "", "Control the network's scope");
        f.list("subnet", 0, "Subnet in CIDR format that represents a network segment", "strings");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        json ipam = {{"Driver", f.s("ipam-driver")},
                     {"Config", TRY(sysIpamConfig(
                                    sysSplitCommas(f.l("subnet")), sysSplitCommas(f.l("ip-range")),
                                    sysSplitCommas(f.l("gateway")), f.l("aux-address")))},
                     {"Options", keyValues(f.l("ipam-opt"))}};
        json body = {{"Name", f.args()[0]},
                     {"Driver", f.s("driver")},
                     {"Options", keyValues(f.l("opt"))},
                     {"IPAM", ipam},
                     {"Internal", f.b("internal")},
                     {"Attachable", f.b("attachable")},
                     {"Ingress", f.b("ingress")},
                     {"ConfigOnly", f.b("config-only")},
                     {"Labels", keyValues(f.l("label"))}};
        if (f.changed("ipv4")) body["EnableIPv4"] = f.b("ipv4");
        if (f.changed("ipv6")) body["EnableIPv6"] = f.b("ipv6");
        if (!f.s("scope").empty()) body["Scope"] = f.s("scope");
        if (!f.s("config-from").empty()) body["ConfigFrom"] = {{"Network", f.s("config-from")}};
        auto r = TRY(apiPost(ctx, "/networks/create", body));
        if (r.is_object() && r.contains("Warning") && r["Warning"].is_string() &&
            !r["Warning"].get<std::string>().empty())
            ctx.err("Error response from daemon: " + r["Warning"].get<std::string>() + "\n");
        ctx.out(r.value("Id", std::string()) + "\n");
        return 0;
    };
    return c;
}

Command ls() {
    Command c;
    c.name = "ls";
    c.aliases = {"list"};
    c.use = "[OPTIONS]";
    c.shortHelp = "List networks";
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.list("filter", 'f', "Provide filter values (e.g. \"driver=bridge\")", "filter");
        f.string("format", 0, "", kInfoFormatListUsage);
        f.boolean("no-trunc", 0, "Do not truncate the output");
        f.boolean("quiet", 'q', "Only display network IDs");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        std::string fj = TRY(filtersJson(f.l("filter")));
        json nets = TRY(apiGet(ctx, "/networks" + query({{"filters", fj}})));
        if (!nets.is_array()) nets = json::array();
        std::vector<json> sorted(nets.begin(), nets.end());
        std::stable_sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) {
            return sysNaturalLess(a.value("Name", std::string()), b.value("Name", std::string()));
        });
        json rows = json::array();
        for (auto& n : sorted) {
            std::string id = n.value("Id", std::string());
            auto boolText = [&](const char* k, bool def) {
                return n.value(k, def) ? std::string("true") : std::string("false");
            };
            rows.push_back({{"CreatedAt", sysGoTime(n.value("Created", std::string()))},
                            {"Driver", n.value("Driver", std::string())},
                            {"ID", f.b("no-trunc") ? id : truncateId(id)},
                            {"IPv4", boolText("EnableIPv4", true)},
                            {"IPv6", boolText("EnableIPv6", false)},
                            {"Internal", boolText("Internal", false)},
                            {"Labels", sysJoinLabels(n.value("Labels", json::object()))},
                            {"Name", n.value("Name", std::string())},
                            {"Scope", n.value("Scope", std::string())}});
        }
        std::string format = f.s("format");
        if (f.b("quiet"))
            format =
                format.empty() || format.rfind("table", 0) == 0 ? "{{.ID}}" : "network_id: {{.ID}}";
        json headers = {{"CreatedAt", "CREATED"}, {"Driver", "DRIVER"}, {"ID", "NETWORK ID"},
                        {"IPv4", "IPV4"},         {"IPv6", "IPV6"},     {"Internal", "INTERNAL"},
                        {"Labels", "LABELS"},     {"Name", "NAME"},     {"Scope", "SCOPE"}};
        ctx.out(TRY(renderList(format, std::vector<json>(rows.begin(), rows.end()), headers,
                               {"table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"})));
        return 0;
    };
    return c;
}

Command inspect() {
    Command c;
    c.name = "inspect";
    c.use = "[OPTIONS] NETWORK [NETWORK...]";
    c.shortHelp = "Display detailed information on one or more networks";
    c.minArgs = 1;
    c.flags = [](Flags& f) {
        f.string("format", 'f', "", kInfoFormatJsonUsage);
        f.boolean("verbose", 'v', "Verbose output for diagnostics");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        json found = json::array();
        std::string errs;
        for (auto& n : f.args()) {
            auto r = apiGet(ctx, netPath(n) + query({{"verbose", f.b("verbose") ? "true" : ""}}));
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

Command connect() {
    Command c;
    c.name = "connect";
    c.use = "[OPTIONS] NETWORK CONTAINER";
    c.shortHelp = "Connect a container to a network";
    c.minArgs = 2;
    c.maxArgs = 2;
    c.flags = [](Flags& f) {
        f.list("alias", 0, "Add network-scoped alias for the container", "strings");
        f.list("driver-opt", 0, "driver options for the network", "strings");
        f.integer("gw-priority", 0, 0,
                  "Highest gw-priority provides the default gateway. Accepts positive and "
                  "negative values.");
        f.string("ip", 0, "", "IPv4 address (e.g., \"172.30.100.104\")");
        f.string("ip6", 0, "", "IPv6 address (e.g., \"2001:db8::33\")");
        f.list("link", 0, "Add link to another container");
        f.list("link-local-ip", 0, "Add a link-local address for the container", "strings");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        json ep = json::object();
        json ipam = json::object();
        if (!f.s("ip").empty()) ipam["IPv4Address"] = f.s("ip");
        if (!f.s("ip6").empty()) ipam["IPv6Address"] = f.s("ip6");
        auto lls = sysSplitCommas(f.l("link-local-ip"));
        if (!lls.empty()) ipam["LinkLocalIPs"] = lls;
        if (!ipam.empty()) ep["IPAMConfig"] = ipam;
        auto aliases = sysSplitCommas(f.l("alias"));
        if (!aliases.empty()) ep["Aliases"] = aliases;
        if (!f.l("link").empty()) ep["Links"] = f.l("link");
        auto dopts = sysSplitCommas(f.l("driver-opt"));
        if (!dopts.empty()) ep["DriverOpts"] = keyValues(dopts);
        if (f.changed("gw-priority")) ep["GwPriority"] = f.i("gw-priority");
        json body = {{"Container", f.args()[1]}, {"EndpointConfig", ep}};
        TRY(apiPost(ctx, netPath(f.args()[0]) + "/connect", body));
        return 0;
    };
    return c;
}

Command disconnect() {
    Command c;
    c.name = "disconnect";
    c.use = "[OPTIONS] NETWORK CONTAINER";
    c.shortHelp = "Disconnect a container from a network";
    c.minArgs = 2;
    c.maxArgs = 2;
    c.flags = [](Flags& f) {
        f.boolean("force", 'f', "Force the container to disconnect from a network");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        json body = {{"Container", f.args()[1]}, {"Force", f.b("force")}};
        TRY(apiPost(ctx, netPath(f.args()[0]) + "/disconnect", body));
        return 0;
    };
    return c;
}

Command rm() {
    Command c;
    c.name = "rm";
    c.aliases = {"remove"};
    c.use = "NETWORK [NETWORK...]";
    c.shortHelp = "Remove one or more networks";
    c.minArgs = 1;
    c.flags = [](Flags& f) {
        f.boolean("force", 'f', "Do not error if the network does not exist");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        bool failed = false;
        for (auto& n : f.args()) {
            Request r;
            r.method = "DELETE";
            r.path = netPath(n);
            auto resp = apiCall(ctx, std::move(r));
            if (resp) {
                ctx.out(n + "\n");
                continue;
            }
            if (resp.error().msg.rfind("cannot reach berthd", 0) == 0)
                return std::move(resp).error();
            if (f.b("force") && resp.error().code == 404) continue;
            ctx.err(resp.error().msg + "\n");
            failed = true;
        }
        // docker 28 ends a failed `network rm` with this line (its bare status error).
        if (failed) ctx.err("exit status 1\n");
        return failed ? 1 : 0;
    };
    return c;
}

Command prune() {
    Command c;
    c.name = "prune";
    c.use = "[OPTIONS]";
    c.shortHelp = "Remove all unused networks";
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.list("filter", 0, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
        f.boolean("force", 'f', "Do not prompt for confirmation");
    };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        if (!f.b("force") &&
            !sysConfirm(ctx,
                        "WARNING! This will remove all custom networks not used by at "
                        "least one container."))
            return 0;
        auto rep = TRY(sysPrune(ctx, "networks", f.l("filter")));
        if (!rep.output.empty()) ctx.out(rep.output + "\n");
        return 0;
    };
    return c;
}

}  // namespace

Command cmdNetwork() {
    Command c;
    c.name = "network";
    c.shortHelp = "Manage networks";
    c.subs = {connect(), create(), disconnect(), inspect(), ls(), prune(), rm()};
    return c;
}

}  // namespace berth::cli
