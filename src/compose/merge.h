// Compose's merge rules, used for several -f files (each over the previous ones) and for
// `extends` (the local service over the one it extends):
// - mappings merge recursively, scalars are replaced, a null changes nothing;
// - environment/labels/annotations/sysctls/build.args/... merge as maps (list form `K=V` is
//   converted first); depends_on and a service's networks likewise (list form -> map);
// - command, entrypoint and healthcheck.test are replaced; `build: dir` merges as {context: dir};
//   logging is replaced when the driver changes;
// - ports, expose, volumes, secrets, configs, dns, cap_add, tmpfs, profiles, env_file, ... are
//   appended, and a later entry with the same key (ports: host ip + published + target +
//   protocol, volumes: target, secrets/configs: target) replaces the earlier one in place;
// - other sequences are appended;
// - `!reset` removes the value, `!override` replaces it whole.
// Marks follow the values: a merged value keeps the marks of the file that supplied it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "compose/yaml.h"

namespace berth::compose {

// Merge document `over` (a whole file) into `base`.
void mergeDocs(YamlDoc& base, const YamlDoc& over);

// Merge the value at `srcPtr` of `src` into the value at `dstPtr` of `dst` (rules chosen by the
// path of `dstPtr`, e.g. "/services/web"). `dst` is the whole document `dstPtr` points into.
void mergeAt(YamlDoc& dst, const std::string& dstPtr, const YamlDoc& src,
             const std::string& srcPtr);

// The JSON pointer's unescaped segments: "/a/b~1c" -> {"a", "b/c"}.
std::vector<std::string> pointerSegments(std::string_view pointer);

// Reads the value at `pointer` (nullptr when missing).
const nlohmann::json* jsonAt(const nlohmann::json& doc, std::string_view pointer);
nlohmann::json* jsonAt(nlohmann::json& doc, std::string_view pointer);

}  // namespace berth::compose
