// Registry authentication: WWW-Authenticate challenges, Basic credentials and bearer tokens
// fetched from the challenge's realm (the distribution token protocol), cached per scope.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "image/registry/http.h"

namespace berth::image::registry {

struct Challenge {
    std::string scheme;                         // lower-case: "bearer", "basic"
    std::map<std::string, std::string> params;  // keys lower-case: realm, service, scope, error

    std::string param(const std::string& k) const {
        auto it = params.find(k);
        return it == params.end() ? "" : it->second;
    }
};

// Parses a WWW-Authenticate value (RFC 7235: one or more challenges, quoted-string values with
// backslash escapes). Malformed parts end the parse; what was understood is returned.
std::vector<Challenge> parseWwwAuthenticate(std::string_view header);

struct Credentials {
    std::string username, password;
    std::string identityToken;  // OAuth2 refresh token (docker's "identitytoken")
    std::string registryToken;  // a bearer token to send as is ("registrytoken")
    bool empty() const {
        return username.empty() && password.empty() && identityToken.empty() &&
               registryToken.empty();
    }
};

// "repository:library/busybox:pull,push"
std::string repositoryScope(const std::string& path, const std::string& actions);

// Decides the Authorization header for requests to one registry. Thread-safe (the downloads
// of a pull share it). Scopes are fixed at construction (the repository and actions of the
// operation, plus the repositories a push mounts from).
class Authorizer {
  public:
    Authorizer(Credentials creds, std::vector<std::string> scopes, std::string caFile = "");

    // The header line to send ("Authorization: Bearer ..."), empty when no challenge was
    // seen yet (the first request goes out anonymously, as docker's).
    Result<std::string> header();
    // Learns from a 401 response. Returns true when a retry may succeed (a new challenge, or a
    // token that may have expired), false when the same credentials already failed.
    Result<bool> onUnauthorized(const HttpResponse& r);
    bool hasCredentials() const { return !creds_.empty(); }

  private:
    Result<std::string> fetchToken(const Challenge& c);
    std::string cacheKey(const Challenge& c) const;

    Credentials creds_;
    std::vector<std::string> scopes_;
    std::string caFile_;
    std::mutex mu_;
    std::optional<Challenge> challenge_;
    int failures_ = 0;
};

// Drops cached tokens (tests; `logout`).
void clearTokenCache();

}  // namespace berth::image::registry
