// berth-net [options] serve        JSON requests on stdin, one answer line each on stdout
// berth-net [options] call '<json>'  open the manager (restoring everything), run one request
// berth-net [options] down [--remove-rules]  open, then shut down (a stopping daemon)
#include <unistd.h>

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/log.h"
#include "requests.h"

using namespace berth;
using nlohmann::json;

namespace {

int serve(net::Manager& m) {
    std::string line;
    bool stop = false;
    while (!stop && std::getline(std::cin, line)) {
        if (line.empty()) continue;
        json req;
        try {
            req = json::parse(line);
        } catch (const json::exception& e) {
            std::cout << json{{"ok", false}, {"error", std::string("bad JSON: ") + e.what()}}.dump()
                      << std::endl;
            continue;
        }
        json out = netcmd::handle(m, req, stop);
        if (req.contains("tag")) out["tag"] = req["tag"];
        std::cout << out.dump() << std::endl;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"berth-net: the Berth network layer, driven for tests"};
    net::Options o;
    std::string logLevel = "warn";
    bool noFirewall = false, noDns = false;
    app.add_option("--state", o.stateDir, "state directory")->capture_default_str();
    app.add_option("--run", o.runDir, "run directory (netns bind mounts)")->capture_default_str();
    app.add_option("--pool", o.defaultPools, "address pool base/prefix/size (repeatable)");
    app.add_option("--default-subnet", o.defaultSubnet)->capture_default_str();
    app.add_option("--default-bridge", o.defaultBridge)->capture_default_str();
    app.add_flag("--default-ipv6", o.defaultIPv6);
    app.add_option("--mtu", o.mtu)->capture_default_str();
    app.add_option("--resolv-conf", o.resolvConf)->capture_default_str();
    app.add_option("--hosts-file", o.hostsFile)->capture_default_str();
    app.add_flag("--no-firewall", noFirewall);
    app.add_flag("--no-dns", noDns);
    app.add_option("--socket-redirect", o.socketRedirectCgroup,
                   "cgroup2 root to attach the connect() redirect of published ports to");
    app.add_option("--log-level", logLevel, "debug, info, warn, error")->capture_default_str();
    app.require_subcommand(1);
    auto* serveCmd = app.add_subcommand("serve", "answer JSON requests line by line");
    std::string request;
    auto* callCmd = app.add_subcommand("call", "run one JSON request");
    callCmd->add_option("request", request)->required();
    bool removeRules = false;
    auto* downCmd = app.add_subcommand("down", "open, then shut down");
    downCmd->add_flag("--remove-rules", removeRules);
    CLI11_PARSE(app, argc, argv);
    o.firewall = !noFirewall;
    o.dns = !noDns;

    log::Options lo;
    lo.level = logLevel == "debug"   ? log::Level::Debug
               : logLevel == "info"  ? log::Level::Info
               : logLevel == "error" ? log::Level::Error
                                     : log::Level::Warn;
    log::init(lo);

    auto m = net::Manager::open(o);
    if (!m) {
        std::cerr << "berth-net: " << m.error().str() << "\n";
        if (*serveCmd)
            std::cout << json{{"ok", false}, {"error", m.error().str()}}.dump() << std::endl;
        return 1;
    }
    if (*serveCmd) {
        std::cout << json{{"ok", true}, {"ready", true}, {"pid", ::getpid()}}.dump() << std::endl;
        return serve(**m);
    }
    if (*downCmd) {
        (*m)->shutdown(removeRules);
        return 0;
    }
    json req;
    try {
        req = json::parse(request);
    } catch (const json::exception& e) {
        std::cerr << "berth-net: bad JSON: " << e.what() << "\n";
        return 2;
    }
    bool stop = false;
    json out = netcmd::handle(**m, req, stop);
    std::cout << out.dump() << std::endl;
    return out.value("ok", false) ? 0 : 1;
}
