// Loading a Compose project: files -> the normalized model.
//
// Per file: parse YAML (yaml.h) -> interpolate every string value with the project environment
// (.env under the process environment) -> cast the values Compose wants as ints/bools ("${N}"
// for deploy.replicas, "true" for read_only) -> validate against the Compose schema (unknown
// keys: a warning, then dropped) -> resolve `extends` (same file or {file, service}). Then the
// files are merged in order (merge.h), `include` is applied (each included project loaded with
// its own directory and env files; a conflicting resource is an error), services are filtered by
// profiles, and the model is normalized (normalize.h). Every error names the file and line.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "compose/project.h"

namespace berth::compose {

Result<Project> loadProject(const LoadOptions& opts);

// compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in startDir or the nearest
// parent that has one, plus the override file beside it (compose.override.yaml/.yml for
// compose.*, docker-compose.override.yml/.yaml for docker-compose.*, else any of them).
// Error "no configuration file provided: not found".
Result<std::vector<std::string>> findComposeFiles(const std::string& startDir);

// A project name as given (-p, COMPOSE_PROJECT_NAME, `name:`) must match [a-z0-9][a-z0-9_-]*.
bool isValidProjectName(std::string_view name);
// A directory name made into a project name: lowercased, other characters dropped, leading
// '-'/'_' trimmed ("My App_1" -> "myapp_1"); empty when nothing is left.
std::string normalizeProjectName(std::string_view name);

}  // namespace berth::compose
