// `berth events`: get real time events from the server.
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/stream.h"
#include "cli/template.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// docker's default line: "<time> <type> <action> <id> (k=v, ...)" with sorted attributes.
std::string prettyEvent(const json& e) {
    std::string line;
    int64_t nano = e.value("timeNano", int64_t{0});
    int64_t sec = e.value("time", int64_t{0});
    if (nano != 0)
        line = rfc3339NanoFixed(nano) + " ";
    else if (sec != 0)
        line = rfc3339NanoFixed(sec * 1000000000) + " ";
    json actor = e.value("Actor", json::object());
    line += e.value("Type", "") + " " + e.value("Action", "") + " " + actor.value("ID", "");
    json attrs = actor.value("Attributes", json::object());
    if (attrs.is_object() && !attrs.empty()) {
        std::string a;
        for (auto& [k, v] : attrs.items())  // nlohmann::json keeps keys sorted
            a += (a.empty() ? "" : ", ") + k + "=" +
                 (v.is_string() ? v.get<std::string>() : v.dump());
        line += " (" + a + ")";
    }
    return line + "\n";
}

// The event as Go marshals docker's events.Message (struct field order, omitempty).
ordered_json goOrder(const json& e) {
    ordered_json o;
    for (const char* k : {"status", "id", "from"})
        if (e.contains(k) && e[k].is_string() && !e[k].get<std::string>().empty()) o[k] = e[k];
    o["Type"] = e.value("Type", "");
    o["Action"] = e.value("Action", "");
    ordered_json actor;
    json a = e.value("Actor", json::object());
    actor["ID"] = a.value("ID", "");
    actor["Attributes"] = a.contains("Attributes") ? a["Attributes"] : json(nullptr);
    o["Actor"] = actor;
    o["scope"] = e.value("scope", "");
    o["time"] = e.value("time", int64_t{0});
    o["timeNano"] = e.value("timeNano", int64_t{0});
    return o;
}

// The fields as a template sees docker's struct (Go names) plus the JSON names.
json templateData(const json& e) {
    json d = e;
    static const std::pair<const char*, const char*> names[] = {
        {"status", "Status"}, {"id", "ID"},     {"from", "From"},
        {"scope", "Scope"},   {"time", "Time"}, {"timeNano", "TimeNano"}};
    for (auto& [js, go] : names)
        if (e.contains(js)) d[go] = e[js];
    return d;
}

Result<int> runEvents(Ctx& ctx, const Flags& f) {
    std::string format = f.s("format");
    std::optional<Template> tmpl;
    if (!format.empty() && format != "json") {
        auto t = Template::parse(format);
        if (!t) {
            ctx.err("Error parsing format: " + t.error().msg + "\n");
            return 64;
        }
        tmpl = std::move(*t);
    }
    std::string since = TRY(infoApiTimestamp(f.s("since")));
    std::string until = TRY(infoApiTimestamp(f.s("until")));
    std::string filters = TRY(filtersJson(f.l("filter")));
    Request r;
    r.path = "/events" + query({{"since", since}, {"until", until}, {"filters", filters}});
    auto* client = TRY(ctx.client());
    Status failed;
    auto handle = [&](std::string_view text) -> Status {
        auto e = json::parse(text, nullptr, false);
        if (e.is_discarded() || !e.is_object()) return {};
        if (format.empty()) {
            ctx.out(prettyEvent(e));
        } else if (format == "json") {
            ctx.out(goOrder(e).dump() + "\n");
        } else {
            auto out = tmpl->execute(templateData(e));
            if (!out) return Error{0, out.error().msg, true};
            ctx.out(*out + "\n");
        }
        return {};
    };
    // Events are JSON objects one after another (newline-separated by berthd and dockerd).
    LineSplitter lines([&](std::string_view one) {
        failed = handle(one);
        return failed.ok();
    });
    auto resp = TRY(client->stream(r, [&](std::string_view d) { return lines.feed(d); }));
    if (!resp.ok()) return apiError(resp);
    TRY(std::move(failed));
    if (lines.rest().find_first_not_of(" \r\t\n") != std::string::npos) TRY(handle(lines.rest()));
    return 0;
}

}  // namespace

Command cmdEvents() {
    Command c;
    c.name = "events";
    c.use = "[OPTIONS]";
    c.shortHelp = "Get real time events from the server";
    c.minArgs = 0;
    c.maxArgs = 0;
    c.flags = [](Flags& f) {
        f.list("filter", 'f', "Filter output based on conditions provided", "filter");
        f.string("format", 0, "", kInfoFormatJsonUsage);
        f.string("since", 0, "", "Show all events created since timestamp");
        f.string("until", 0, "", "Stream events until this timestamp");
    };
    c.run = runEvents;
    return c;
}

}  // namespace berth::cli
