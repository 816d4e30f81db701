#include "image/registry/auth.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "image/registry/base64.h"
#include "image/registry/errors.h"

namespace berth::image::registry {

namespace {

using Clock = std::chrono::steady_clock;

struct CachedToken {
    std::string token;
    Clock::time_point expires;
};

std::mutex g_cacheMu;
std::map<std::string, CachedToken>& tokenCache() {
    static std::map<std::string, CachedToken> m;
    return m;
}

bool isTokenChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A cursor over the header value.
struct Lexer {
    std::string_view s;
    size_t i = 0;
    void skipWs() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) i++;
    }
    bool eat(char c) {
        skipWs();
        if (i < s.size() && s[i] == c) {
            i++;
            return true;
        }
        return false;
    }
    std::string token() {
        skipWs();
        size_t b = i;
        while (i < s.size() && isTokenChar(s[i])) i++;
        return std::string(s.substr(b, i - b));
    }
    // A quoted-string with its quotes, or a token (and token68's trailing '=').
    std::optional<std::string> value() {
        skipWs();
        if (i < s.size() && s[i] == '"') {
            std::string out;
            for (i++; i < s.size(); i++) {
                if (s[i] == '\\' && i + 1 < s.size())
                    out += s[++i];
                else if (s[i] == '"') {
                    i++;
                    return out;
                } else
                    out += s[i];
            }
            return std::nullopt;  // unterminated
        }
        auto t = token();
        while (i < s.size() && s[i] == '=') t += s[i++];
        return t;
    }
};

}  // namespace

std::vector<Challenge> parseWwwAuthenticate(std::string_view header) {
    std::vector<Challenge> out;
    Lexer lx{header};
    while (true) {
        while (lx.eat(',')) {
        }
        auto scheme = lx.token();
        if (scheme.empty()) break;
        Challenge c{lower(scheme), {}};
        // auth-params: name "=" value, separated by commas; a name not followed by "=" starts
        // the next challenge.
        while (true) {
            size_t save = lx.i;
            while (lx.eat(',')) {
            }
            auto name = lx.token();
            if (name.empty() || !lx.eat('=')) {
                lx.i = save;
                break;
            }
            auto v = lx.value();
            if (!v) {
                out.push_back(std::move(c));
                return out;
            }
            c.params[lower(name)] = *v;
        }
        out.push_back(std::move(c));
        size_t before = lx.i;
        while (lx.eat(',')) {
        }
        if (lx.i == before && lx.i < header.size()) {
            // Neither a separator nor a new scheme: a token68 or junk; skip to the next comma.
            auto next = header.find(',', lx.i);
            if (next == std::string_view::npos) break;
            lx.i = next;
        }
    }
    return out;
}

std::string repositoryScope(const std::string& path, const std::string& actions) {
    return "repository:" + path + ":" + actions;
}

void clearTokenCache() {
    std::lock_guard l(g_cacheMu);
    tokenCache().clear();
}

Authorizer::Authorizer(Credentials creds, std::vector<std::string> scopes, std::string caFile)
    : creds_(std::move(creds)), scopes_(std::move(scopes)), caFile_(std::move(caFile)) {}

std::string Authorizer::cacheKey(const Challenge& c) const {
    std::string k = c.param("realm") + "\n" + c.param("service") + "\n" + creds_.username + "\n" +
                    base64Encode(creds_.password + creds_.identityToken);
    for (auto& s : scopes_) k += "\n" + s;
    return k;
}

Result<std::string> Authorizer::header() {
    std::lock_guard l(mu_);
    if (!creds_.registryToken.empty()) return "Authorization: Bearer " + creds_.registryToken;
    if (!challenge_) return std::string();
    if (challenge_->scheme == "basic") {
        if (creds_.username.empty() && creds_.password.empty()) return std::string();
        return "Authorization: Basic " + base64Encode(creds_.username + ":" + creds_.password);
    }
    auto key = cacheKey(*challenge_);
    {
        std::lock_guard cl(g_cacheMu);
        auto it = tokenCache().find(key);
        // Renew a little early: a token that expires mid-request fails the request.
        if (it != tokenCache().end() && it->second.expires > Clock::now() + std::chrono::seconds(5))
            return "Authorization: Bearer " + it->second.token;
    }
    auto tok = TRY(fetchToken(*challenge_));
    return "Authorization: Bearer " + tok;
}

Result<bool> Authorizer::onUnauthorized(const HttpResponse& r) {
    std::lock_guard l(mu_);
    std::optional<Challenge> best;
    for (auto& v : r.headerAll("www-authenticate"))
        for (auto& c : parseWwwAuthenticate(v)) {
            if (c.scheme == "bearer" && c.params.count("realm"))
                best = c;
            else if (c.scheme == "basic" && (!best || best->scheme != "bearer"))
                best = c;
        }
    if (!best) return false;
    // A scope the registry asks for that we did not request (e.g. insufficient_scope).
    bool newScope = false;
    if (auto sc = best->param("scope"); !sc.empty() && best->scheme == "bearer") {
        for (size_t b = 0; b <= sc.size();) {
            auto e = sc.find(' ', b);
            if (e == std::string::npos) e = sc.size();
            auto one = sc.substr(b, e - b);
            if (!one.empty() && std::find(scopes_.begin(), scopes_.end(), one) == scopes_.end()) {
                scopes_.push_back(one);
                newScope = true;
            }
            b = e + 1;
        }
    }
    bool changed = !challenge_ || challenge_->scheme != best->scheme ||
                   challenge_->param("realm") != best->param("realm") ||
                   challenge_->param("service") != best->param("service");
    if (best->scheme == "basic" && creds_.username.empty() && creds_.password.empty()) {
        challenge_ = best;
        return false;  // nothing to answer a Basic challenge with
    }
    if (changed || newScope) {
        challenge_ = best;
        failures_ = 0;
        return true;
    }
    // Same challenge again: a cached token may have expired or been revoked; retry once
    // with a fresh one.
    if (best->scheme == "bearer" && failures_++ == 0) {
        std::lock_guard cl(g_cacheMu);
        tokenCache().erase(cacheKey(*challenge_));
        return true;
    }
    return false;
}

// Called with mu_ held.
Result<std::string> Authorizer::fetchToken(const Challenge& c) {
    auto realm = c.param("realm");
    if (realm.rfind("http://", 0) != 0 && realm.rfind("https://", 0) != 0)
        return Error{EACCES, fmt::format("bearer challenge with an invalid realm \"{}\"", realm),
                     true};
    HttpRequest req;
    req.caFile = caFile_;
    std::string query;
    auto add = [&](const std::string& k, const std::string& v) {
        if (v.empty()) return;
        query += (query.empty() ? "" : "&") + k + "=" + urlEncode(v);
    };
    add("service", c.param("service"));
    for (auto& s : scopes_) add("scope", s);
    if (!creds_.identityToken.empty()) {
        // OAuth2 refresh-token grant (what `docker login` stores as identitytoken).
        req.method = "POST";
        req.url = realm;
        req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
        req.body = query + "&grant_type=refresh_token&client_id=berth&refresh_token=" +
                   urlEncode(creds_.identityToken);
    } else {
        req.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + query;
        if (!creds_.username.empty() || !creds_.password.empty())
            req.headers.push_back("Authorization: Basic " +
                                  base64Encode(creds_.username + ":" + creds_.password));
    }
    auto resp = TRY_CTX(httpSend(req), "get a token from {}", realm);
    if (!resp.ok()) {
        auto why = registryErrorText(resp);
        return Error{
            EACCES,
            fmt::format("get a token from {}: {}", realm,
                        resp.status == 401 ? "unauthorized: incorrect username or password" : why),
            true};
    }
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(resp.body);
    } catch (const nlohmann::json::exception& e) {
        return Error{EACCES, fmt::format("get a token from {}: invalid JSON: {}", realm, e.what()),
                     true};
    }
    std::string tok;
    if (j.contains("token") && j["token"].is_string()) tok = j["token"];
    if (tok.empty() && j.contains("access_token") && j["access_token"].is_string())
        tok = j["access_token"];
    if (tok.empty())
        return Error{EACCES, fmt::format("get a token from {}: the response has no token", realm),
                     true};
    int64_t ttl = 60;  // the spec's default
    if (j.contains("expires_in") && j["expires_in"].is_number_integer())
        ttl = std::max<int64_t>(j["expires_in"].get<int64_t>(), 10);
    std::lock_guard cl(g_cacheMu);
    tokenCache()[cacheKey(c)] = CachedToken{tok, Clock::now() + std::chrono::seconds(ttl)};
    return tok;
}

}  // namespace berth::image::registry
