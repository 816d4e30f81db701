// What a service of the normalized model becomes in the Docker Engine API (v1.41+ bodies, the
// fields docker compose v2 sends): container names, POST /containers/create, the endpoint
// settings of POST /networks/{id}/connect, POST /networks/create, POST /volumes/create, and the
// secret/config files that must be uploaded into a container before it starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::compose {

struct Project;

// container_name when set (the loader allows it only with scale 1), else "<project>-<svc>-<n>".
std::string containerName(const Project& p, const std::string& svc, int number);

// A fresh random slug for a one-off container (64 hex digits, the com.docker.compose.slug label).
std::string newSlug();
// "<project>-<svc>-run-<first 12 hex of slug>", the name of `compose run` containers.
std::string oneoffContainerName(const Project& p, const std::string& svc, const std::string& slug);

// The service's image, or "<project>-<svc>" when it only has a build section.
std::string serviceImage(const Project& p, const std::string& svc);

struct CreateOptions {
    std::string imageId;      // the com.docker.compose.image label (left out when empty)
    bool oneoff = false;      // compose run: oneoff label True, no aliases, no restart policy
    bool useAliases = false;  // oneoff: the service's network aliases all the same (--use-aliases)
    std::string slug;         // oneoff: the com.docker.compose.slug label
    std::optional<std::vector<std::string>> commandOverride;     // replaces `command`
    std::optional<std::vector<std::string>> entrypointOverride;  // replaces `entrypoint`
    // "K=V" entries over the service's environment (same key wins). A bare "K" takes its value
    // from the project environment and is dropped when that has none.
    std::vector<std::string> extraEnv;
    std::vector<std::pair<std::string, std::string>> extraLabels;  // run -l
    std::optional<std::string> user;                               // run -u
    std::optional<std::string> workingDir;                         // run -w
    // nullopt: the service's `tty` / `stdin_open`.
    std::optional<bool> tty;
    std::optional<bool> interactive;
    bool attachStdin = false;  // AttachStdin, and StdinOnce when stdin is open
    // The network that goes into NetworkingConfig (a service network key); empty = the first of
    // serviceNetworkKeys().
    std::string primaryNetwork;
    bool removeOnExit = false;  // AutoRemove
    bool publishPorts = true;   // false: `ports` is ignored (run without --service-ports)
    std::string replaces;       // com.docker.compose.replace: the container being recreated
};

// The POST /containers/create body (name goes in the query: containerName()). Errors: invalid
// durations, sizes, restart policies, or secrets/configs that cannot be provided.
Result<nlohmann::json> containerCreateBody(const Project& p, const std::string& svc, int number,
                                           const CreateOptions& opts);

// The service's network keys in connect order: priority descending, then name. Empty when the
// service has a network_mode.
std::vector<std::string> serviceNetworkKeys(const Project& p, const std::string& svc);

// EndpointSettings for the service on network `networkKey` (for NetworkingConfig and for
// POST /networks/{id}/connect's EndpointConfig): Aliases (service name + the network's aliases,
// none for one-off containers), IPAMConfig, MacAddress, DriverOpts, GwPriority.
nlohmann::json endpointConfig(const Project& p, const std::string& svc,
                              const std::string& networkKey, bool oneoff);

// The engine-side name of a top-level network / volume key: its resolved `name`, else
// "<project>_<key>".
std::string networkName(const Project& p, const std::string& key);
std::string volumeName(const Project& p, const std::string& key);

// POST /networks/create and POST /volumes/create bodies for top-level networks/volumes.
nlohmann::json networkCreateBody(const Project& p, const std::string& key);
nlohmann::json volumeCreateBody(const Project& p, const std::string& key);

// A secret or config whose content does not live in a file (`environment:` or `content:`): it
// cannot be bind-mounted, so the executor uploads it (PUT /containers/{id}/archive) before start.
struct InjectedFile {
    std::string path;  // absolute path in the container
    std::string content;
    uint32_t mode = 0444;
    int64_t uid = 0;
    int64_t gid = 0;
};
Result<std::vector<InjectedFile>> injectedFiles(const Project& p, const std::string& svc);

// Model keys of a service that berthd accepts but does not act on (the executor warns about
// them): the service keys present, sorted.
std::vector<std::string> unsupportedServiceKeys(const nlohmann::json& service);

}  // namespace berth::compose
