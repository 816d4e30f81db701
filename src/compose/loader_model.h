// Internal to the loader: the Compose files of a project (or an included sub-project) -> one
// merged document, with interpolation, type casts, schema validation, `extends` and `include`
// done. Profiles and normalization come after (loader.cpp).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "compose/project.h"
#include "compose/yaml.h"

namespace berth::compose {

// What a (sub-)project is loaded against: its directory and interpolation environment.
struct Scope {
    std::string projectDir;
    std::map<std::string, std::string> env;
};

class ModelLoader {
  public:
    ModelLoader(const LoadOptions& opts, std::string home, std::vector<std::string>& warnings)
        : opts_(opts), home_(std::move(home)), warnings_(warnings) {}

    // Each file (absolute path, or "-" for opts.stdinText) is parsed, interpolated, type-cast,
    // validated and has its `extends` resolved; the files are merged in order; then `include`
    // is applied with `scope.projectDir` as the base of relative paths.
    Result<YamlDoc> load(const std::vector<std::string>& files, const Scope& scope);

    // One file up to validation (no extends, no include).
    Result<YamlDoc> loadFile(const std::string& path, const Scope& scope);

    void warn(std::string msg);

  private:
    Status interpolate(YamlDoc& doc, const Scope& scope);
    Status castTypes(YamlDoc& doc);
    Status validate(YamlDoc& doc, const std::string& file);
    Status resolveExtends(YamlDoc& doc, const std::string& file, const Scope& scope);
    Status extendService(YamlDoc& doc, const std::string& file, const std::string& name,
                         const Scope& scope, std::vector<std::string>& stack);
    Status applyInclude(YamlDoc& doc, const Scope& scope);

    const LoadOptions& opts_;
    std::string home_;
    std::vector<std::string>& warnings_;
    std::set<std::string> warned_;
    std::vector<std::string> includeStack_;
    std::map<std::string, YamlDoc> extendsCache_;  // other files named by `extends`, by path
};

// The text shown for a file in messages: the path, or "<stdin>" for "-".
std::string displayName(const std::string& file);

}  // namespace berth::compose
