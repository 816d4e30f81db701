#include "config.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/sys.h"

namespace berth::berthd {

using nlohmann::json;

bool FlagSet::has(const std::string& k) const {
    return std::find(keys.begin(), keys.end(), k) != keys.end();
}

Result<std::string> parseAddressPool(const std::string& flag) {
    std::string base, size;
    size_t i = 0;
    while (i <= flag.size()) {
        auto j = flag.find(',', i);
        if (j == std::string::npos) j = flag.size();
        auto kv = flag.substr(i, j - i);
        auto eq = kv.find('=');
        if (eq == std::string::npos)
            return invalid("invalid address pool {}: want base=...,size=...", flag);
        auto k = kv.substr(0, eq), v = kv.substr(eq + 1);
        if (k == "base")
            base = v;
        else if (k == "size")
            size = v;
        else
            return invalid("invalid address pool {}: unknown field {}", flag, k);
        i = j + 1;
    }
    if (base.empty() || size.empty() || base.find('/') == std::string::npos)
        return invalid("invalid address pool {}: want base=CIDR,size=N", flag);
    return base + "/" + size;
}

Result<int64_t> parseSize(const std::string& s) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) i++;
    if (i == 0) return invalid("invalid size: '{}'", s);
    double n = std::stod(s.substr(0, i));
    std::string unit = s.substr(i);
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double mult = 1;
    bool binary = unit.find('i') != std::string::npos;
    double k = binary ? 1024 : 1000;
    if (unit.empty() || unit == "b")
        mult = 1;
    else if (unit[0] == 'k')
        mult = k;
    else if (unit[0] == 'm')
        mult = k * k;
    else if (unit[0] == 'g')
        mult = k * k * k;
    else if (unit[0] == 't')
        mult = k * k * k * k;
    else
        return invalid("invalid size: '{}'", s);
    return static_cast<int64_t>(n * mult);
}

namespace {

const char* kKeys[] = {"data-root",
                       "exec-root",
                       "hosts",
                       "default-address-pools",
                       "insecure-registries",
                       "log-opts",
                       "log-driver",
                       "debug",
                       "log-level",
                       "tls",
                       "tlsverify",
                       "tlscacert",
                       "tlscert",
                       "tlskey",
                       "pidfile",
                       "bip",
                       "log-format",
                       "socket-redirect",
                       "live-restore",
                       "graph"};

std::string show(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

Status applyConfigFile(const std::string& path, bool required, const FlagSet& flags, Config& c) {
    if (!sys::exists(path)) {
        if (required) return invalid("open {}: no such file or directory", path);
        return {};
    }
    auto text = TRY_CTX(sys::readFile(path), "unable to configure the daemon with file {}", path);
    auto j = json::parse(text, nullptr, false);
    auto fail = [&](const std::string& why) {
        return invalid("unable to configure the daemon with file {}: {}", path, why);
    };
    if (j.is_discarded() || !j.is_object()) return fail("invalid JSON");
    std::string unknown, both;
    for (auto& [k, v] : j.items()) {
        if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys))
            unknown += (unknown.empty() ? "" : ", ") + k;
        else if (flags.has(k))
            both += (both.empty() ? "" : ", ") + k + ": (from file: " + show(v) + ")";
    }
    if (!unknown.empty())
        return fail("the following directives don't match any configuration option: " + unknown);
    if (!both.empty())
        return fail(
            "the following directives are specified both as a flag and in the "
            "configuration file: " +
            both);
    try {
        if (j.contains("data-root")) c.dataRoot = j["data-root"];
        if (j.contains("graph")) c.dataRoot = j["graph"];
        if (j.contains("exec-root")) c.execRoot = j["exec-root"];
        if (j.contains("hosts")) c.hosts = j["hosts"].get<std::vector<std::string>>();
        if (j.contains("insecure-registries"))
            c.insecureRegistries = j["insecure-registries"].get<std::vector<std::string>>();
        if (j.contains("default-address-pools")) {
            for (auto& p : j["default-address-pools"])
                c.addressPools.push_back(p.at("base").get<std::string>() + "/" +
                                         std::to_string(p.at("size").get<int>()));
        }
        if (j.contains("log-driver") && j["log-driver"] != "json-file")
            return fail("log-driver " + show(j["log-driver"]) + " is not supported (json-file)");
        if (j.contains("log-opts")) {
            for (auto& [k, v] : j["log-opts"].items()) {
                if (k == "max-size")
                    c.logMaxSize = v;
                else if (k == "max-file")
                    c.logMaxFiles = std::stoi(v.get<std::string>());
                else
                    return fail("unknown log opt '" + k + "' for json-file log driver");
            }
        }
        if (j.contains("debug")) c.debug = j["debug"];
        if (j.contains("log-level")) c.logLevel = j["log-level"];
        if (j.contains("log-format")) c.logFormat = j["log-format"];
        if (j.contains("tls")) c.tls = j["tls"];
        if (j.contains("tlsverify")) c.tlsVerify = j["tlsverify"];
        if (j.contains("tlscacert")) c.tlsCaCert = j["tlscacert"];
        if (j.contains("tlscert")) c.tlsCert = j["tlscert"];
        if (j.contains("tlskey")) c.tlsKey = j["tlskey"];
        if (j.contains("pidfile")) c.pidFile = j["pidfile"];
        if (j.contains("bip")) c.bridgeIp = j["bip"];
        if (j.contains("socket-redirect")) c.socketRedirect = j["socket-redirect"].get<bool>();
    } catch (const std::exception& e) {
        return fail(std::string("invalid value: ") + e.what());
    }
    return {};
}

}  // namespace berth::berthd
