// `berth version`: the client's version and, from GET /version, the daemon's, laid out as
// `docker version` prints them.
#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/table.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/sys_client_info.h"
#include "cli/verbs/sys_format.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string str(const json& o, const char* k) {
    if (!o.is_object() || !o.contains(k)) return "";
    auto& v = o[k];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    return v.dump();
}

ordered_json clientJson() {
    return {{"Platform", {{"Name", "Berth"}}},
            {"Version", kBerthVersion},
            {"ApiVersion", kClientApiVersion},
            {"DefaultAPIVersion", kClientApiVersion},
            {"GitCommit", ""},
            {"GoVersion", sysToolchain()},
            {"Os", "linux"},
            {"Arch", sysGoArch()},
            {"BuildTime", sysBuildTime()},
            {"Context", "default"}};
}

// docker's types.Version field order.
ordered_json serverJson(const json& v) {
    ordered_json o;
    for (const char* k :
         {"Platform", "Components", "Version", "ApiVersion", "MinAPIVersion", "GitCommit",
          "GoVersion", "Os", "Arch", "KernelVersion", "Experimental", "BuildTime"}) {
        if (!v.contains(k)) continue;
        if ((std::string(k) == "Experimental" && v[k] == false) ||
            (std::string(k) == "BuildTime" && v[k] == ""))
            continue;  // omitempty
        o[k] = ordered_json::parse(v[k].dump());
    }
    return o;
}

std::string clientText(const ordered_json& c) {
    std::string t = "Client: " + c["Platform"]["Name"].get<std::string>() + "\n";
    t += " Version:\t" + c["Version"].get<std::string>() + "\n";
    t += " API version:\t" + c["ApiVersion"].get<std::string>() + "\n";
    t += " Go version:\t" + c["GoVersion"].get<std::string>() + "\n";
    t += " Git commit:\t" + c["GitCommit"].get<std::string>() + "\n";
    t += " Built:\t" + c["BuildTime"].get<std::string>() + "\n";
    t += " OS/Arch:\t" + c["Os"].get<std::string>() + "/" + c["Arch"].get<std::string>() + "\n";
    t += " Context:\t" + c["Context"].get<std::string>();
    return t;
}

std::string serverText(const json& s) {
    std::string name = s.contains("Platform") ? str(s["Platform"], "Name") : "";
    std::string t = "\n\nServer:" + (name.empty() ? "" : " " + name);
    if (!s.contains("Components") || !s["Components"].is_array()) return t;
    for (auto& c : s["Components"]) {
        t += "\n " + str(c, "Name") + ":";
        const json& d = c.contains("Details") ? c["Details"] : json::object();
        if (str(c, "Name") == "Engine") {
            t += "\n  Version:\t" + str(c, "Version");
            t += "\n  API version:\t" + str(d, "ApiVersion") + " (minimum version " +
                 str(d, "MinAPIVersion") + ")";
            t += "\n  Go version:\t" + str(d, "GoVersion");
            t += "\n  Git commit:\t" + str(d, "GitCommit");
            t += "\n  Built:\t" + str(d, "BuildTime");
            t += "\n  OS/Arch:\t" + str(d, "Os") + "/" + str(d, "Arch");
            t += "\n  Experimental:\t" + str(d, "Experimental");
        } else {
            t += "\n  Version:\t" + str(c, "Version");
            if (d.is_object())
                for (auto& [k, v] : d.items()) t += "\n  " + k + ":\t" + str(d, k.c_str());
        }
    }
    return t;
}

}  // namespace

Command cmdVersion() {
    Command c;
    c.name = "version";
    c.use = "[OPTIONS]";
    c.shortHelp = "Show the Berth version information";
    c.maxArgs = 0;
    c.flags = [](Flags& f) { f.string("format", 'f', "", kInfoFormatJsonUsage); };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        ordered_json client = clientJson();
        json server;
        auto sv = apiGet(ctx, "/version");
        if (sv) server = std::move(*sv);
        const std::string& format = f.s("format");
        if (!format.empty()) {
            ordered_json all = {{"Client", client}};
            all["Server"] = sv ? serverJson(server) : ordered_json();
            if (format == "json") {
                ctx.out(all.dump() + "\n");
            } else {
                // Templates see docker's Go field names too (.Client.APIVersion).
                json data = json::parse(all.dump());
                data["Client"]["APIVersion"] = data["Client"]["ApiVersion"];
                if (sv) data["Server"]["APIVersion"] = data["Server"]["ApiVersion"];
                auto out = TRY(renderEach(unescapeFormat(format), {data}));
                if (!out.errors.empty()) return invalid("{}", out.errors.front());
                ctx.out(out.out);
            }
        } else {
            std::string text = clientText(client);
            if (sv) text += serverText(server);
            TabOptions o;
            o.minWidth = 20;
            o.padding = 1;
            ctx.out(tabwrite(text + "\n", o));
        }
        if (!sv) return std::move(sv).error();
        return 0;
    };
    return c;
}

}  // namespace berth::cli
