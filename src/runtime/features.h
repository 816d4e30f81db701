// The runtime-spec `features` document (`berth-runtime features`): what this runtime and
// this machine support, so engines such as podman can adapt before creating a container.
#pragma once

#include <string>
#include <vector>

namespace berth::features {

// Capability names this runtime knows ("CAP_CHOWN" .. "CAP_CHECKPOINT_RESTORE").
const std::vector<std::string>& knownCapabilities();

// The document as pretty-printed JSON, per features-schema.json / features-linux.json.
// `capabilities` lists what linux.capabilities advertises (e.g. caps::allKnown()).
std::string featuresJson(const std::vector<std::string>& capabilities);
// Same, with knownCapabilities().
std::string featuresJson();

}  // namespace berth::features
