// The client configuration file, ~/.berth/config.json, in docker's format so the two can share
// credentials: {"auths": {"<registry>": {"auth": base64("user:password")}}}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::cli {

struct AuthEntry {
    std::string server, username, password;
};

// A missing file is an empty config; a broken one is an error naming the file.
Result<nlohmann::json> loadConfig(const std::string& path);
// Written atomically (temp file + rename), mode 0600, the directory made if needed.
Status saveConfig(const std::string& path, const nlohmann::json& cfg);

// The key docker uses for a registry ("https://index.docker.io/v1/" for Docker Hub).
std::string authKey(std::string_view registry);
std::optional<AuthEntry> findAuth(const nlohmann::json& cfg, std::string_view registry);
void storeAuth(nlohmann::json& cfg, const AuthEntry& a);
// False when there was nothing stored for the registry.
bool removeAuth(nlohmann::json& cfg, std::string_view registry);

std::string base64Encode(std::string_view s);
std::string base64UrlEncode(std::string_view s);  // X-Registry-Auth's alphabet
Result<std::string> base64Decode(std::string_view s);

}  // namespace berth::cli
