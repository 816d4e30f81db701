// Images of a compose project: build (the service's build section through POST /build), pull,
// push, and what `up` needs before it creates a service's containers.
#pragma once

#include <string>
#include <vector>

#include "cli/compose/session.h"

namespace berth::cli::compose {

struct BuildOptions {
    bool noCache = false;
    bool pull = false;
    bool quiet = false;
    std::vector<std::string> args;  // --build-arg K=V over the service's args
};

// Builds the service's image (tagged serviceImage()) and returns its ID. Output goes to stderr
// (stdout stays for what the verb prints).
Result<std::string> buildService(Ctx& ctx, const model::Project& p, const std::string& svc,
                                 const BuildOptions& o);
// Pulls `ref` with progress on stderr (quiet: none).
Status pullImage(Ctx& ctx, const std::string& ref, bool quiet);
// The image ID of `ref`, "" when berthd does not have it.
Result<std::string> imageId(Ctx& ctx, const std::string& ref);

struct EnsureOptions {
    bool build = false;      // up --build: build every service with a build section
    bool noBuild = false;    // up --no-build
    std::string pull;        // up --pull: always|missing|never|"" (the service's pull_policy)
    bool quietPull = false;  // --quiet-pull: no layer progress, only the Pulling/Pulled events
};
// Makes sure the service's image is there (building or pulling as its build section, its
// pull_policy and the options say) and returns its ID.
Result<std::string> ensureImage(Ctx& ctx, const model::Project& p, const std::string& svc,
                                const EnsureOptions& o);

}  // namespace berth::cli::compose
