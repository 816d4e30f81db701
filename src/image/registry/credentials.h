// Registry credentials: docker's config.json ("auths" keyed by server, "auth" = base64
// "user:pass") and the Engine API's X-Registry-Auth header (base64url JSON).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "image/registry/auth.h"

namespace berth::image::registry {

// $HOME/.berth/config.json (the passwd entry's home when HOME is unset).
std::string defaultAuthFile();

// The canonical registry name of a server as users write it: scheme and path dropped,
// Docker Hub's aliases ("index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/")
// folded into "docker.io". "127.0.0.1:5000" stays as is.
std::string normalizeServer(std::string_view server);
// The key config.json uses: "https://index.docker.io/v1/" for Docker Hub, else host[:port].
std::string authFileKey(std::string_view server);

// Credentials for a registry domain ("docker.io", "127.0.0.1:5000"); empty when none stored
// (or the file does not exist). A file that cannot be parsed is an error.
Result<Credentials> loadCredentials(const std::string& file, std::string_view domain);
// Stores (replaces) the entry for server, keeping the rest of the file; the file is written
// atomically with mode 0600 (its directory is created 0700).
Status storeCredentials(const std::string& file, std::string_view server, const Credentials& c);
// Removes the entry; returns false when there was none.
Result<bool> eraseCredentials(const std::string& file, std::string_view server);

// Decodes X-Registry-Auth: base64url (or standard) JSON {username, password, auth,
// serveraddress, identitytoken, registrytoken}. An empty header gives empty credentials.
Result<Credentials> decodeRegistryAuth(std::string_view header);

// The credentials of a pull or push: X-Registry-Auth when the API passed one, else the auth
// file's entry for domain (authFile empty: defaultAuthFile()).
Result<Credentials> credentialsFor(const std::string& authFile,
                                   const std::optional<std::string>& header,
                                   std::string_view domain);

}  // namespace berth::image::registry
