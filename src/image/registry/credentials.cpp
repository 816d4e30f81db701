#include "image/registry/credentials.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "image/registry/base64.h"

namespace berth::image::registry {

namespace {

using nlohmann::json;

constexpr std::string_view kHubKey = "https://index.docker.io/v1/";

Result<json> readConfig(const std::string& file) {
    auto text = sys::readFile(file);
    if (!text) {
        if (text.error().code == ENOENT) return json::object();
        return std::move(text).error().wrap("read credentials");
    }
    if (text->find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
    try {
        auto j = json::parse(*text);
        if (!j.is_object()) return invalid("{}: not a JSON object", file);
        return j;
    } catch (const json::exception& e) {
        return invalid("{}: invalid JSON: {}", file, e.what());
    }
}

Status writeConfig(const std::string& file, const json& j) {
    auto slash = file.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
    if (!sys::isDir(dir)) TRY_CTX(sys::mkdirAll(dir, 0700), "store credentials");
    std::random_device rd;
    auto tmp = fmt::format("{}.tmp-{}-{:x}", file, getpid(), rd());
    auto fd =
        TRY_CTX(sys::open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), "store credentials");
    ScopeGuard rm([&] { ::unlink(tmp.c_str()); });
    // Explicitly 0600 whatever the umask; the secret never sits in a wider file.
    if (fchmod(fd.get(), 0600) < 0) return errnoError("chmod {}", tmp);
    TRY_CTX(sys::writeFd(fd.get(), j.dump(1, '\t') + "\n"), "write {}", tmp);
    if (fsync(fd.get()) < 0) return errnoError("fsync {}", tmp);
    fd.reset();
    if (::rename(tmp.c_str(), file.c_str()) < 0) return errnoError("rename {} to {}", tmp, file);
    rm.cancel();
    auto dfd = sys::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd) (void)fsync(dfd->get());
    return {};
}

std::string str(const json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

Result<Credentials> entryCredentials(const json& e) {
    Credentials c;
    if (!e.is_object()) return c;
    if (auto a = str(e, "auth"); !a.empty()) {
        auto dec = TRY_CTX(base64Decode(a), "credentials \"auth\"");
        auto colon = dec.find(':');
        if (colon == std::string::npos) return invalid("credentials \"auth\" is not user:password");
        c.username = dec.substr(0, colon);
        c.password = dec.substr(colon + 1);
    }
    if (c.username.empty()) c.username = str(e, "username");
    if (c.password.empty()) c.password = str(e, "password");
    c.identityToken = str(e, "identitytoken");
    c.registryToken = str(e, "registrytoken");
    return c;
}

}  // namespace

std::string defaultAuthFile() {
    std::string home;
    if (const char* h = getenv("HOME"); h && *h)
        home = h;
    else if (auto* pw = getpwuid(getuid()))
        home = pw->pw_dir;
    else
        home = "/root";
    return home + "/.berth/config.json";
}

std::string normalizeServer(std::string_view s) {
    if (auto p = s.find("://"); p != std::string_view::npos) s.remove_prefix(p + 3);
    if (auto p = s.find('/'); p != std::string_view::npos) s = s.substr(0, p);
    std::string h(s);
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h == "index.docker.io" || h == "registry-1.docker.io" || h == "registry.hub.docker.com")
        return "docker.io";
    return h;
}

std::string authFileKey(std::string_view server) {
    auto n = normalizeServer(server);
    return n == "docker.io" ? std::string(kHubKey) : n;
}

Result<Credentials> loadCredentials(const std::string& file, std::string_view domain) {
    auto j = TRY(readConfig(file));
    auto it = j.find("auths");
    if (it == j.end() || !it->is_object()) return Credentials{};
    auto want = normalizeServer(domain);
    // An exact key first, then any spelling of the same server (docker accepts "https://x").
    if (auto e = it->find(authFileKey(domain)); e != it->end())
        return TRY_CTX(entryCredentials(*e), "{}", file);
    for (auto& [k, v] : it->items())
        if (normalizeServer(k) == want) return TRY_CTX(entryCredentials(v), "{}", file);
    return Credentials{};
}

Status storeCredentials(const std::string& file, std::string_view server, const Credentials& c) {
    auto j = TRY(readConfig(file));
    auto key = authFileKey(server);
    if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = json::object();
    auto& auths = j["auths"];
    // Drop other spellings of the same server so lookups are unambiguous.
    std::vector<std::string> stale;
    for (auto& [k, v] : auths.items())
        if (k != key && normalizeServer(k) == normalizeServer(server)) stale.push_back(k);
    for (auto& k : stale) auths.erase(k);
    json e = json::object();
    if (!c.username.empty() || !c.password.empty())
        e["auth"] = base64Encode(c.username + ":" + c.password);
    if (!c.identityToken.empty()) e["identitytoken"] = c.identityToken;
    auths[key] = e;
    return writeConfig(file, j);
}

Result<bool> eraseCredentials(const std::string& file, std::string_view server) {
    auto j = TRY(readConfig(file));
    if (!j.contains("auths") || !j["auths"].is_object()) return false;
    auto& auths = j["auths"];
    std::vector<std::string> hits;
    for (auto& [k, v] : auths.items())
        if (normalizeServer(k) == normalizeServer(server)) hits.push_back(k);
    if (hits.empty()) return false;
    for (auto& k : hits) auths.erase(k);
    TRY(writeConfig(file, j));
    return true;
}

Result<Credentials> decodeRegistryAuth(std::string_view header) {
    if (header.empty()) return Credentials{};
    auto text = TRY_CTX(base64Decode(header), "X-Registry-Auth");
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        return invalid("X-Registry-Auth: invalid JSON: {}", e.what());
    }
    if (!j.is_object()) return invalid("X-Registry-Auth: not a JSON object");
    return TRY_CTX(entryCredentials(j), "X-Registry-Auth");
}

Result<Credentials> credentialsFor(const std::string& authFile,
                                   const std::optional<std::string>& header,
                                   std::string_view domain) {
    if (header && !header->empty()) return decodeRegistryAuth(*header);
    return loadCredentials(authFile.empty() ? defaultAuthFile() : authFile, domain);
}

}  // namespace berth::image::registry
