// Short syntaxes (ports, volumes) and paths, for normalize.cpp and the loader.
#include <arpa/inet.h>

#include <charconv>
#include <filesystem>

#include <fmt/core.h>

#include "compose/normalize.h"

namespace berth::compose {

using nlohmann::json;

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t c = s.find(sep, start);
        out.emplace_back(
            s.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start));
        if (c == std::string_view::npos) return out;
        start = c + 1;
    }
}

std::optional<int> portNumber(std::string_view s) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > 65535) return std::nullopt;
    return v;
}

// "80" or "80-82" -> [first, last].
Result<std::pair<int, int>> portRange(std::string_view s, std::string_view spec) {
    size_t dash = s.find('-');
    auto first = portNumber(s.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : portNumber(s.substr(dash + 1));
    if (!first || !last || *last < *first)
        return invalid("invalid port \"{}\": \"{}\" is not a port or a range of ports", spec, s);
    return std::pair{*first, *last};
}

bool isIpAddress(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool isBindSource(std::string_view src) {
    return !src.empty() && (src[0] == '.' || src[0] == '/' || src[0] == '~');
}

}  // namespace

Result<json> parsePortSpec(const json& spec) {
    json out = json::array();
    if (spec.is_number_integer()) {
        int64_t p = spec.get<int64_t>();
        if (p < 1 || p > 65535) return invalid("invalid port {}: out of range", p);
        out.push_back({{"mode", "ingress"}, {"target", p}, {"protocol", "tcp"}});
        return out;
    }
    if (spec.is_object()) {
        json e = spec;
        const json target = e.value("target", json());
        if (target.is_string()) {
            auto n = portNumber(target.get<std::string>());
            if (!n) return invalid("invalid port target \"{}\"", target.get<std::string>());
            e["target"] = *n;
        } else if (!target.is_number_integer()) {
            return invalid("a port mapping needs a numeric `target`");
        }
        if (e.contains("published")) {
            if (e["published"].is_number())
                e["published"] = std::to_string(e["published"].get<int64_t>());
            else if (e["published"].is_null())
                e.erase("published");
        }
        if (e.contains("host_ip") && e["host_ip"].is_string() &&
            !isIpAddress(e["host_ip"].get<std::string>()))
            return invalid("invalid port mapping: host_ip \"{}\" is not an IP address",
                           e["host_ip"].get<std::string>());
        if (!e.contains("protocol")) e["protocol"] = "tcp";
        if (!e.contains("mode")) e["mode"] = "ingress";
        out.push_back(std::move(e));
        return out;
    }
    if (!spec.is_string())
        return invalid("invalid port {}: must be a number, string or mapping", spec.dump());
    std::string s = spec.get<std::string>(), protocol = "tcp";
    if (size_t slash = s.rfind('/'); slash != std::string::npos) {
        protocol = s.substr(slash + 1);
        s.resize(slash);
        if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
            return invalid("invalid port \"{}\": unknown protocol \"{}\"", spec.get<std::string>(),
                           protocol);
    }
    auto parts = split(s, ':');
    std::string container = parts.back(), host, ip;
    if (parts.size() >= 2) host = parts[parts.size() - 2];
    for (size_t i = 0; i + 2 < parts.size(); i++) ip += (i ? ":" : "") + parts[i];
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    const std::string& text = spec.get_ref<const std::string&>();
    auto [cFirst, cLast] = TRY(portRange(container, text));
    if (cFirst == 0) return invalid("invalid port \"{}\": the container port cannot be 0", text);
    if (!ip.empty() && !isIpAddress(ip))
        return invalid("invalid port \"{}\": \"{}\" is not an IP address", text, ip);
    auto entry = [&](int target, const std::string& published) {
        json e = {{"mode", "ingress"}, {"target", target}, {"protocol", protocol}};
        if (!published.empty()) e["published"] = published;
        if (!ip.empty()) e["host_ip"] = ip;
        out.push_back(std::move(e));
    };
    if (host.empty()) {
        for (int p = cFirst; p <= cLast; p++) entry(p, "");
        return out;
    }
    auto [hFirst, hLast] = TRY(portRange(host, text));
    if (hLast - hFirst == cLast - cFirst) {
        for (int i = 0; i <= cLast - cFirst; i++) entry(cFirst + i, std::to_string(hFirst + i));
    } else if (cFirst == cLast) {
        entry(cFirst, host);  // any free port of the host range
    } else {
        return invalid("invalid port \"{}\": the host and container ranges differ in size", text);
    }
    return out;
}

Result<json> parseVolumeSpec(std::string_view spec) {
    auto parts = split(spec, ':');
    if (parts.size() > 3) return invalid("invalid volume \"{}\": too many colons", spec);
    if (parts.size() == 1) {
        if (spec.empty() || spec[0] != '/')
            return invalid("invalid volume \"{}\": the container path must be absolute", spec);
        return json{{"type", "volume"}, {"target", parts[0]}};
    }
    const std::string& src = parts[0];
    const std::string& dst = parts[1];
    if (src.empty()) return invalid("invalid volume \"{}\": empty source", spec);
    if (dst.empty() || dst[0] != '/')
        return invalid("invalid volume \"{}\": the container path must be absolute", spec);
    bool bind = isBindSource(src);
    json v = {{"type", bind ? "bind" : "volume"}, {"source", src}, {"target", dst}};
    if (bind) v["bind"] = {{"create_host_path", true}};
    if (parts.size() == 3) {
        for (const auto& opt : split(parts[2], ',')) {
            if (opt == "ro") {
                v["read_only"] = true;
            } else if (opt == "rw") {
                // the default
            } else if (opt == "nocopy") {
                if (bind) return invalid("invalid volume \"{}\": nocopy is for volumes", spec);
                v["volume"]["nocopy"] = true;
            } else if (opt == "z" || opt == "Z") {
                v["bind"]["selinux"] = opt;
            } else if (opt == "shared" || opt == "rshared" || opt == "slave" || opt == "rslave" ||
                       opt == "private" || opt == "rprivate") {
                v["bind"]["propagation"] = opt;
            } else if (opt == "consistent" || opt == "cached" || opt == "delegated") {
                v["consistency"] = opt;
            } else {
                return invalid("invalid volume \"{}\": unknown option \"{}\"", spec, opt);
            }
        }
    }
    if (!bind && v.contains("bind")) {
        return invalid("invalid volume \"{}\": {} applies to bind mounts only", spec,
                       v["bind"].begin().key() == "selinux" ? "an SELinux label" : "propagation");
    }
    return v;
}

std::string absolutePath(const std::string& base, const std::string& path,
                         const std::string& home) {
    namespace fs = std::filesystem;
    fs::path p;
    if (path == "~")
        p = home;
    else if (path.rfind("~/", 0) == 0)
        p = fs::path(home) / path.substr(2);
    else
        p = path;
    if (p.is_relative()) p = fs::path(base) / p;
    std::string out = p.lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

bool isRemoteContext(std::string_view context) {
    return context.find("://") != std::string_view::npos || context.rfind("git@", 0) == 0 ||
           context.rfind("github.com/", 0) == 0;
}

namespace {

void resolveFileList(json& v, const std::string& base, const std::string& home) {
    auto one = [&](json& e) {
        if (e.is_string())
            e = absolutePath(base, e.get<std::string>(), home);
        else if (e.is_object() && e.contains("path") && e["path"].is_string())
            e["path"] = absolutePath(base, e["path"].get<std::string>(), home);
    };
    if (v.is_array()) {
        for (auto& e : v) one(e);
    } else {
        one(v);
    }
}

void resolveService(json& s, const std::string& base, const std::string& home) {
    if (!s.is_object()) return;
    if (s.contains("build")) {
        json& b = s["build"];
        if (b.is_string() && !isRemoteContext(b.get<std::string>())) {
            b = absolutePath(base, b.get<std::string>(), home);
        } else if (b.is_object()) {
            std::string ctx = b.value("context", ".");
            if (!isRemoteContext(ctx)) b["context"] = absolutePath(base, ctx, home);
        }
    }
    for (const char* k : {"env_file", "label_file"})
        if (s.contains(k)) resolveFileList(s[k], base, home);
    if (s.contains("extends") && s["extends"].is_object() && s["extends"].contains("file") &&
        s["extends"]["file"].is_string())
        s["extends"]["file"] = absolutePath(base, s["extends"]["file"].get<std::string>(), home);
    if (s.contains("volumes") && s["volumes"].is_array()) {
        for (auto& v : s["volumes"]) {
            if (v.is_string()) {
                const std::string& spec = v.get_ref<const std::string&>();
                size_t colon = spec.find(':');
                if (colon != std::string::npos && isBindSource(spec.substr(0, colon)))
                    v = absolutePath(base, spec.substr(0, colon), home) + spec.substr(colon);
            } else if (v.is_object() && v.value("type", "") == "bind" && v.contains("source") &&
                       v["source"].is_string()) {
                v["source"] = absolutePath(base, v["source"].get<std::string>(), home);
            }
        }
    }
}

}  // namespace

void resolveRawPaths(json& doc, const std::string& baseDir, const std::string& home) {
    if (!doc.is_object()) return;
    if (doc.contains("services") && doc["services"].is_object())
        for (auto& [name, s] : doc["services"].items()) resolveService(s, baseDir, home);
    for (const char* kind : {"secrets", "configs"}) {
        if (!doc.contains(kind) || !doc[kind].is_object()) continue;
        for (auto& [name, def] : doc[kind].items())
            if (def.is_object() && def.contains("file") && def["file"].is_string())
                def["file"] = absolutePath(baseDir, def["file"].get<std::string>(), home);
    }
}

}  // namespace berth::compose
