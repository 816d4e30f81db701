// The config hash docker compose labels a container with (com.docker.compose.config-hash): it
// decides whether `up` recreates a service's containers.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace berth::compose {

// sha256 (lower-case hex) of the service's canonical JSON (keys sorted), leaving out what does
// not change a container as docker compose does: scale, deploy.replicas, build, pull_policy,
// profiles and depends_on. Changing only the replica count or the build section therefore does
// not recreate.
std::string configHash(const nlohmann::json& service);

}  // namespace berth::compose
