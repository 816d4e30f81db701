// Internals shared by convert*.cpp (not a public header): reading the normalized model's JSON
// (convert_values.cpp) and building a service's HostConfig (convert_host.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "compose/convert.h"

namespace berth::compose::detail {

using nlohmann::json;

// --- the model's values (convert_values.cpp)
const json& emptyObject();
// model[a][b], or {} when either is missing.
const json& section(const json& model, const char* a, const std::string& b);
const json& serviceOf(const Project& p, const std::string& svc);
std::string projectName(const Project& p);
std::string str(const json& obj, const char* key);
bool flag(const json& obj, const char* key);
bool has(const json& obj, const char* key);
// A scalar as the engine's map[string]string wants it.
std::string scalar(const json& v);
json stringMap(const json& obj);
std::vector<std::string> strings(const json& obj, const char* key);
Result<int64_t> bytes(const json& v, std::string_view what);
Result<int64_t> durationNs(const json& v, std::string_view what);
Result<int64_t> nanoCpus(const json& v, std::string_view what);
Result<int64_t> integer(const json& v, std::string_view what);

// --- HostConfig and ports (convert_host.cpp)
// One `ports` entry -> ExposedPorts keys and PortBindings.
Status addPort(const json& port, json& exposed, json& bindings);
Status addExpose(const std::string& e, json& exposed);
// Where a secret (or a config) lands in the container.
std::string secretTarget(const json& ref, bool secret);
Result<json> hostConfig(const Project& p, const json& s, const CreateOptions& o,
                        const std::string& networkMode);

}  // namespace berth::compose::detail
