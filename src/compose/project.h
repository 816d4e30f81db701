// The Compose project as the loader hands it on: the options `berth compose` passes in and the
// normalized model (see loader.h for the pipeline, normalize.h for the model's shape).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::compose {

struct LoadOptions {
    std::vector<std::string>
        files;  // -f, in order; "-" = stdin (content in stdinText); empty = discovery
    std::string stdinText;
    std::string workingDir;        // where discovery starts (cwd); default current dir
    std::string projectDirectory;  // --project-directory; default: dir of the first file
    // -p; else COMPOSE_PROJECT_NAME, else top-level `name:`, else basename(project dir). Explicit
    // names must be valid ([a-z0-9][a-z0-9_-]*); the directory name is normalised instead.
    std::string projectName;
    std::vector<std::string> profiles;  // --profile; else COMPOSE_PROFILES (comma list); "*" = all
    std::vector<std::string> envFiles;  // --env-file; default <projectDirectory>/.env if it exists
    std::map<std::string, std::string> environ;  // the process environment (caller fills)
    // Services named on the command line: enabled whatever their profiles (plus their
    // dependencies).
    std::vector<std::string> explicitServices;
    bool interpolate = true;
    bool normalize = true;
    bool resolvePaths = true;
};

struct Project {
    std::string name;
    std::string workingDir;                  // the project directory (absolute)
    std::vector<std::string> configFiles;    // absolute paths (or "-")
    std::map<std::string, std::string> env;  // interpolation env: .env under the process env
    nlohmann::json model;                    // the normalized model (normalize.h)
    // Unset variables, unknown keys, the obsolete `version`, ignored optional dependencies.
    std::vector<std::string> warnings;
    std::vector<std::string> disabledServices;  // services left out by profiles
};

}  // namespace berth::compose
