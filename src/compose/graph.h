// Dependency order between the services of a normalized model: depends_on, plus the implicit
// dependencies of `network_mode: service:x` and `volumes_from: [x | service:x]`.
// Orders are deterministic: among services free to go at the same point, by name.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::compose {

// The services svc needs started first, sorted by name. A depends_on target that is not a
// service is an error unless it says `required: false` (then left out).
Result<std::vector<std::string>> serviceDependencies(const nlohmann::json& model,
                                                     const std::string& svc);

// `selected` (every service when empty) plus, with withDeps, all they depend on transitively,
// dependencies first. Errors: an unknown selected service ("no such service: x"), a missing
// required dependency, a cycle anywhere in the model ("dependency cycle detected: a -> b -> a").
Result<std::vector<std::string>> startOrder(const nlohmann::json& model,
                                            const std::vector<std::string>& selected,
                                            bool withDeps);

// The same services grouped in levels: every service of a level depends only on services of
// earlier levels, so a level can be started in parallel. Each level is sorted by name.
Result<std::vector<std::vector<std::string>>> startLevels(const nlohmann::json& model,
                                                          const std::vector<std::string>& selected,
                                                          bool withDeps);

// `selected` (all when empty) plus, with withDependents, every service that depends on them
// transitively, in an order that stops dependents before what they depend on (the reverse of a
// start order).
Result<std::vector<std::string>> stopOrder(const nlohmann::json& model,
                                           const std::vector<std::string>& selected,
                                           bool withDependents);

// Services that depend directly on svc (any kind of dependency), sorted by name.
std::vector<std::string> dependents(const nlohmann::json& model, const std::string& svc);

// Services whose depends_on entry for svc says `restart: true`: they are restarted when svc is
// restarted or recreated. Sorted by name.
std::vector<std::string> restartDependents(const nlohmann::json& model, const std::string& svc);

}  // namespace berth::compose
