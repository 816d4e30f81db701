// `berth info`: system-wide information from GET /info, laid out as `docker info` prints it.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/sys_client_info.h"
#include "cli/verbs/sys_format.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

using nlohmann::json;

// Go's fmt.Println rendering of a JSON scalar.
std::string val(const json& o, const char* k) {
    if (!o.is_object() || !o.contains(k) || o[k].is_null()) return "";
    auto& v = o[k];
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

std::string num(const json& o, const char* k) {
    std::string v = val(o, k);
    return v.empty() ? "0" : v;
}

std::string flag(const json& o, const char* k) {
    return o.is_object() && o.contains(k) && o[k].is_boolean() && o[k].get<bool>() ? "true"
                                                                                   : "false";
}

std::string joined(const json& a) {
    std::string s;
    if (!a.is_array()) return s;
    for (auto& x : a)
        s += (s.empty() ? "" : " ") + (x.is_string() ? x.get<std::string>() : x.dump());
    return s;
}

struct Printer {
    std::string out;
    void line(std::string_view label, std::string_view v) {
        out += std::string(label) + " " + std::string(v) + "\n";
    }
    void nonEmpty(std::string_view label, std::string_view v) {
        if (!v.empty()) line(label, v);
    }
};

std::string clientText(bool debug) {
    Printer p;
    p.out = "Client: Berth\n";
    p.nonEmpty(" Version:   ", kBerthVersion);
    p.line(" Context:   ", "default");
    p.line(" Debug Mode:", debug ? "true" : "false");
    return p.out;
}

// docker's prettyPrintServerInfo, for the fields berthd reports.
std::string serverText(const json& i, bool clientDebug, std::string& warnings) {
    Printer p;
    p.line(" Containers:", num(i, "Containers"));
    p.line("  Running:", num(i, "ContainersRunning"));
    p.line("  Paused:", num(i, "ContainersPaused"));
    p.line("  Stopped:", num(i, "ContainersStopped"));
    p.line(" Images:", num(i, "Images"));
    p.nonEmpty(" Server Version:", val(i, "ServerVersion"));
    p.nonEmpty(" Storage Driver:", val(i, "Driver"));
    for (const char* key : {"DriverStatus", "SystemStatus"}) {
        if (!i.contains(key) || !i[key].is_array()) continue;
        for (auto& pair : i[key])
            if (pair.is_array() && pair.size() >= 2)
                p.out += fmt::format("{}{}: {}\n", std::string(key) == "DriverStatus" ? "  " : " ",
                                     pair[0].get<std::string>(), pair[1].get<std::string>());
    }
    p.nonEmpty(" Logging Driver:", val(i, "LoggingDriver"));
    p.nonEmpty(" Cgroup Driver:", val(i, "CgroupDriver"));
    p.nonEmpty(" Cgroup Version:", val(i, "CgroupVersion"));
    json plugins = i.value("Plugins", json::object());
    p.out += " Plugins:\n";
    p.line("  Volume:", joined(plugins.value("Volume", json::array())));
    p.line("  Network:", joined(plugins.value("Network", json::array())));
    json authz = plugins.value("Authorization", json());
    if (authz.is_array() && !authz.empty()) p.line("  Authorization:", joined(authz));
    p.line("  Log:", joined(plugins.value("Log", json::array())));
    json cdi = i.value("CDISpecDirs", json());
    if (cdi.is_array() && !cdi.empty()) {
        p.out += " CDI spec directories:\n";
        for (auto& d : cdi) p.out += "  " + d.get<std::string>() + "\n";
    }
    json swarm = i.value("Swarm", json::object());
    std::string state = val(swarm, "LocalNodeState");
    p.line(" Swarm:", state);
    if (state != "inactive" && state != "locked") {
        p.line("  NodeID:", val(swarm, "NodeID"));
        if (!val(swarm, "Error").empty()) p.line("  Error:", val(swarm, "Error"));
        p.line("  Is Manager:", flag(swarm, "ControlAvailable"));
        p.line("  Node Address:", val(swarm, "NodeAddr"));
    }
    json runtimes = i.value("Runtimes", json::object());
    if (runtimes.is_object() && !runtimes.empty()) {
        std::string names;
        for (auto& [k, v] : runtimes.items()) names += (names.empty() ? "" : " ") + k;
        p.line(" Runtimes:", names);
        p.line(" Default Runtime:", val(i, "DefaultRuntime"));
    }
    if (val(i, "OSType") == "linux") {
        p.line(" Init Binary:", val(i, "InitBinary"));
        p.line(" containerd version:", val(i.value("ContainerdCommit", json::object()), "ID"));
        p.line(" runc version:", val(i.value("RuncCommit", json::object()), "ID"));
        p.line(" init version:", val(i.value("InitCommit", json::object()), "ID"));
        json so = i.value("SecurityOptions", json());
        if (so.is_array() && !so.empty()) {
            p.out += " Security Options:\n";
            for (auto& o : so) {
                // "name=seccomp,profile=builtin"
                std::string s = o.get<std::string>(), name, profile;
                size_t start = 0;
                while (start <= s.size()) {
                    auto comma = s.find(',', start);
                    std::string kv = s.substr(
                        start, comma == std::string::npos ? std::string::npos : comma - start);
                    auto eq = kv.find('=');
                    std::string k = kv.substr(0, eq);
                    std::string v = eq == std::string::npos ? "" : kv.substr(eq + 1);
                    if (k == "name") name = v;
                    if (k == "profile") profile = v;
                    if (comma == std::string::npos) break;
                    start = comma + 1;
                }
                p.out += "  " + name + "\n";
                if (!profile.empty()) p.line("   Profile:", profile);
            }
        }
    }
    if (val(i, "OSType") == "windows") p.line(" Default Isolation:", val(i, "Isolation"));
    p.nonEmpty(" Kernel Version:", val(i, "KernelVersion"));
    p.nonEmpty(" Operating System:", val(i, "OperatingSystem"));
    p.nonEmpty(" OSType:", val(i, "OSType"));
    p.nonEmpty(" Architecture:", val(i, "Architecture"));
    p.line(" CPUs:", num(i, "NCPU"));
    p.line(" Total Memory:", bytesSize(i.value("MemTotal", 0.0)));
    p.nonEmpty(" Name:", val(i, "Name"));
    p.nonEmpty(" ID:", val(i, "ID"));
    p.line(" Docker Root Dir:", val(i, "DockerRootDir"));
    p.line(" Debug Mode:", flag(i, "Debug"));
    if (flag(i, "Debug") == "true" || clientDebug) {
        p.line("  File Descriptors:", num(i, "NFd"));
        p.line("  Goroutines:", num(i, "NGoroutines"));
        p.line("  System Time:", val(i, "SystemTime"));
        p.line("  EventsListeners:", num(i, "NEventsListener"));
    }
    p.nonEmpty(" HTTP Proxy:", val(i, "HttpProxy"));
    p.nonEmpty(" HTTPS Proxy:", val(i, "HttpsProxy"));
    p.nonEmpty(" No Proxy:", val(i, "NoProxy"));
    p.nonEmpty(" Username:", val(i, "Username"));
    json labels = i.value("Labels", json());
    if (labels.is_array() && !labels.empty()) {
        p.out += " Labels:\n";
        for (auto& l : labels) p.out += "  " + l.get<std::string>() + "\n";
    }
    p.line(" Experimental:", flag(i, "ExperimentalBuild"));
    json reg = i.value("RegistryConfig", json());
    if (reg.is_object()) {
        json cidrs = reg.value("InsecureRegistryCIDRs", json());
        json idx = reg.value("IndexConfigs", json());
        if ((cidrs.is_array() && !cidrs.empty()) || (idx.is_object() && !idx.empty())) {
            p.out += " Insecure Registries:\n";
            if (idx.is_object())
                for (auto& [k, v] : idx.items())
                    if (!v.value("Secure", true)) p.out += "  " + val(v, "Name") + "\n";
            if (cidrs.is_array())
                for (auto& c : cidrs) p.out += "  " + c.get<std::string>() + "\n";
        }
        json mirrors = reg.value("Mirrors", json());
        if (mirrors.is_array() && !mirrors.empty()) {
            p.out += " Registry Mirrors:\n";
            for (auto& m : mirrors) p.out += "  " + m.get<std::string>() + "\n";
        }
    }
    p.line(" Live Restore Enabled:", flag(i, "LiveRestoreEnabled"));
    if (!val(i, "ProductLicense").empty()) p.line(" Product License:", val(i, "ProductLicense"));
    json pools = i.value("DefaultAddressPools", json());
    if (pools.is_array() && !pools.empty()) {
        p.out += " Default Address Pools:\n";
        for (auto& pool : pools)
            p.out += fmt::format("   Base: {}, Size: {}\n", val(pool, "Base"), num(pool, "Size"));
    }
    p.out += "\n";
    json w = i.value("Warnings", json());
    if (w.is_array())
        for (auto& x : w)
            if (x.is_string()) warnings += x.get<std::string>() + "\n";
    return p.out;
}

}  // namespace

Command cmdInfo() {
    Command c;
    c.name = "info";
    c.use = "[OPTIONS]";
    c.shortHelp = "Display system-wide information";
    c.maxArgs = 0;
    c.flags = [](Flags& f) { f.string("format", 'f', "", kInfoFormatJsonUsage); };
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        bool debug = ctx.globals().debug;
        auto info = apiGet(ctx, "/info");
        const std::string& format = f.s("format");
        if (!format.empty()) {
            if (!info) return std::move(info).error();
            json data = *info;
            data["ClientInfo"] = {{"Debug", debug},
                                  {"Version", kBerthVersion},
                                  {"DefaultAPIVersion", kClientApiVersion},
                                  {"GitCommit", ""},
                                  {"GoVersion", sysToolchain()},
                                  {"Os", "linux"},
                                  {"Arch", sysGoArch()},
                                  {"BuildTime", sysBuildTime()},
                                  {"Context", "default"},
                                  {"Plugins", json::array()},
                                  {"Warnings", nullptr}};
            std::string tmpl = format == "json" ? "{{json .}}" : format;
            auto out = TRY(renderEach(tmpl, {data}));
            if (!out.errors.empty()) return invalid("{}", out.errors.front());
            ctx.out(out.out);
            return 0;
        }
        ctx.out(clientText(debug) + "\nServer:\n");
        if (!info) return std::move(info).error();
        std::string warnings;
        ctx.out(serverText(*info, debug, warnings));
        ctx.err(warnings);
        return 0;
    };
    return c;
}

}  // namespace berth::cli
