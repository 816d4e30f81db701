#include "cli/config.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace berth::cli {

using nlohmann::json;

Result<json> loadConfig(const std::string& path) {
    std::ifstream in(path);
    if (!in) return json::object();
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return invalid("{} is not valid JSON: fix or remove it", path);
    return j;
}

Status saveConfig(const std::string& path, const json& cfg) {
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error{ec.value(), "create " + dir.string()};
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errnoError("write {}", tmp);
    std::string data = cfg.dump(1, '\t') + "\n";
    bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    ok = ::fsync(fd) == 0 && ok;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        auto e = errnoError("write {}", path);
        ::unlink(tmp.c_str());
        return e;
    }
    return {};
}

std::string authKey(std::string_view registry) {
    if (registry.empty() || registry == "docker.io" || registry == "index.docker.io" ||
        registry == "registry-1.docker.io")
        return "https://index.docker.io/v1/";
    std::string r(registry);
    for (std::string_view p : {"https://", "http://"})
        if (r.rfind(p, 0) == 0) r = r.substr(p.size());
    while (!r.empty() && r.back() == '/') r.pop_back();
    return r;
}

std::optional<AuthEntry> findAuth(const json& cfg, std::string_view registry) {
    if (!cfg.contains("auths") || !cfg["auths"].is_object()) return std::nullopt;
    std::string key = authKey(registry);
    for (auto& [k, v] : cfg["auths"].items()) {
        if (authKey(k) != key || !v.is_object()) continue;
        AuthEntry a;
        a.server = k;
        if (v.contains("auth") && v["auth"].is_string()) {
            auto dec = base64Decode(v["auth"].get<std::string>());
            if (!dec) continue;
            auto colon = dec->find(':');
            if (colon == std::string::npos) continue;
            a.username = dec->substr(0, colon);
            a.password = dec->substr(colon + 1);
        }
        if (v.contains("username")) a.username = v.value("username", a.username);
        if (v.contains("password")) a.password = v.value("password", a.password);
        return a;
    }
    return std::nullopt;
}

void storeAuth(json& cfg, const AuthEntry& a) {
    if (!cfg.contains("auths") || !cfg["auths"].is_object()) cfg["auths"] = json::object();
    cfg["auths"][authKey(a.server)] = {{"auth", base64Encode(a.username + ":" + a.password)}};
}

bool removeAuth(json& cfg, std::string_view registry) {
    if (!cfg.contains("auths") || !cfg["auths"].is_object()) return false;
    std::string key = authKey(registry);
    for (auto it = cfg["auths"].begin(); it != cfg["auths"].end(); ++it) {
        if (authKey(it.key()) == key) {
            cfg["auths"].erase(it);
            return true;
        }
    }
    return false;
}

std::string base64Encode(std::string_view s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string base64UrlEncode(std::string_view s) {
    std::string out = base64Encode(s);
    for (auto& c : out) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return out;
}

Result<std::string> base64Decode(std::string_view s) {
    std::string in(s);
    for (auto& c : in) {
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    while (in.size() % 4) in += '=';
    std::string out(in.size() / 4 * 3 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    if (n < 0) return invalid("invalid base64 data");
    size_t pad = 0;
    for (size_t i = in.size(); i > 0 && in[i - 1] == '='; i--) pad++;
    out.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
    return out;
}

}  // namespace berth::cli
