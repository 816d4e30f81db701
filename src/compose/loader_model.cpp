// Files -> one merged document: interpolation, type casts, validation, extends, include.
#include "compose/loader_model.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "compose/dotenv.h"
#include "compose/interpolate.h"
#include "compose/merge.h"
#include "compose/normalize.h"
#include "compose/schema.h"

namespace berth::compose {

using nlohmann::json;

namespace {

std::string dirOf(const std::string& file, const std::string& fallback) {
    if (file == "-" || file.empty()) return fallback;
    return std::filesystem::path(file).parent_path().string();
}

// Every string value (not keys) with its pointer.
template <typename F>
Status forEachString(json& v, const std::string& ptr, F& f) {
    if (v.is_string()) return f(v, ptr);
    if (v.is_array()) {
        for (size_t i = 0; i < v.size(); i++) TRY(forEachString(v[i], pointerAppend(ptr, i), f));
    } else if (v.is_object()) {
        for (auto& [k, child] : v.items()) TRY(forEachString(child, pointerAppend(ptr, k), f));
    }
    return okStatus();
}

// --- type casts after interpolation (compose-go's interpolateTypeCastMapping) ---

enum class Cast { Bool, Int, Float };

struct CastRule {
    std::vector<std::string> pattern;  // "*" = any key or index
    Cast cast;
};

const std::vector<CastRule>& castRules() {
    static const auto rules = [] {
        std::vector<CastRule> r;
        auto svc = [&](std::vector<std::string> rest, Cast c) {
            rest.insert(rest.begin(), {"services", "*"});
            r.push_back({std::move(rest), c});
        };
        for (const char* k : {"attach", "init", "privileged", "read_only", "stdin_open", "tty",
                              "oom_kill_disable", "use_api_socket"})
            svc({k}, Cast::Bool);
        for (const char* k : {"scale", "cpu_count", "cpu_percent", "cpu_shares", "cpu_quota",
                              "cpu_period", "mem_swappiness", "oom_score_adj", "pids_limit"})
            svc({k}, Cast::Int);
        svc({"cpus"}, Cast::Float);
        svc({"deploy", "replicas"}, Cast::Int);
        for (const char* k : {"update_config", "rollback_config"}) {
            svc({"deploy", k, "parallelism"}, Cast::Int);
            svc({"deploy", k, "max_failure_ratio"}, Cast::Float);
        }
        svc({"deploy", "restart_policy", "max_attempts"}, Cast::Int);
        svc({"deploy", "placement", "max_replicas_per_node"}, Cast::Int);
        svc({"healthcheck", "retries"}, Cast::Int);
        svc({"healthcheck", "disable"}, Cast::Bool);
        svc({"ports", "*", "target"}, Cast::Int);
        svc({"secrets", "*", "mode"}, Cast::Int);
        svc({"configs", "*", "mode"}, Cast::Int);
        svc({"ulimits", "*"}, Cast::Int);
        svc({"ulimits", "*", "soft"}, Cast::Int);
        svc({"ulimits", "*", "hard"}, Cast::Int);
        svc({"volumes", "*", "read_only"}, Cast::Bool);
        svc({"volumes", "*", "volume", "nocopy"}, Cast::Bool);
        svc({"volumes", "*", "bind", "create_host_path"}, Cast::Bool);
        svc({"depends_on", "*", "required"}, Cast::Bool);
        svc({"depends_on", "*", "restart"}, Cast::Bool);
        svc({"env_file", "*", "required"}, Cast::Bool);
        svc({"networks", "*", "priority"}, Cast::Int);
        svc({"networks", "*", "gw_priority"}, Cast::Int);
        svc({"build", "privileged"}, Cast::Bool);
        svc({"blkio_config", "weight"}, Cast::Int);
        for (const char* k : {"external", "internal", "attachable", "enable_ipv6"})
            r.push_back({{"networks", "*", k}, Cast::Bool});
        for (const char* top : {"volumes", "secrets", "configs"})
            r.push_back({{top, "*", "external"}, Cast::Bool});
        return r;
    }();
    return rules;
}

template <typename F>
void forEachMatch(json& v, const std::vector<std::string>& pattern, size_t i,
                  const std::string& ptr, F& f) {
    if (i == pattern.size()) return f(v, ptr);
    const std::string& seg = pattern[i];
    if (v.is_object()) {
        if (seg == "*") {
            for (auto& [k, child] : v.items())
                forEachMatch(child, pattern, i + 1, pointerAppend(ptr, k), f);
        } else if (auto it = v.find(seg); it != v.end()) {
            forEachMatch(*it, pattern, i + 1, pointerAppend(ptr, seg), f);
        }
    } else if (v.is_array() && seg == "*") {
        for (size_t j = 0; j < v.size(); j++)
            forEachMatch(v[j], pattern, i + 1, pointerAppend(ptr, j), f);
    }
}

Result<json> castString(const std::string& s, Cast cast) {
    if (cast == Cast::Bool) {
        std::string l = s;
        std::transform(l.begin(), l.end(), l.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (l == "true" || l == "yes" || l == "y" || l == "on") return json(true);
        if (l == "false" || l == "no" || l == "n" || l == "off") return json(false);
        return invalid("invalid boolean \"{}\"", s);
    }
    json v = typePlainScalar(s);
    if (cast == Cast::Int) {
        if (!v.is_number_integer()) return invalid("invalid integer \"{}\"", s);
        return v;
    }
    if (!v.is_number()) return invalid("invalid number \"{}\"", s);
    return json(v.get<double>());
}

}  // namespace

std::string displayName(const std::string& file) {
    return file == "-" ? "<stdin>" : file;
}

void ModelLoader::warn(std::string msg) {
    if (warned_.insert(msg).second) warnings_.push_back(std::move(msg));
}

Status ModelLoader::interpolate(YamlDoc& doc, const Scope& scope) {
    Lookup lookup = [&scope](std::string_view name) -> std::optional<std::string> {
        auto it = scope.env.find(std::string(name));
        if (it == scope.env.end()) return std::nullopt;
        return it->second;
    };
    auto one = [&](json& v, const std::string& ptr) -> Status {
        const std::string& s = v.get_ref<const std::string&>();
        if (s.find('$') == std::string::npos) return okStatus();
        std::vector<std::string> unset;
        auto r = compose::interpolate(s, lookup, &unset);
        if (!r)
            return invalid("{}: {}: {}", markPrefix(doc.marks, ptr), pointerToPath(ptr),
                           r.error().msg);
        for (const auto& name : unset)
            warn(
                fmt::format("The \"{}\" variable is not set. Defaulting to a blank string.", name));
        v = std::move(r.value());
        return okStatus();
    };
    return forEachString(doc.value, "", one);
}

Status ModelLoader::castTypes(YamlDoc& doc) {
    Status status;
    for (const auto& rule : castRules()) {
        auto f = [&](json& v, const std::string& ptr) {
            if (!status.ok() || !v.is_string()) return;
            auto r = castString(v.get<std::string>(), rule.cast);
            if (!r) {
                status = invalid("{}: {}: {}", markPrefix(doc.marks, ptr), pointerToPath(ptr),
                                 r.error().msg);
                return;
            }
            v = std::move(r.value());
        };
        forEachMatch(doc.value, rule.pattern, 0, "", f);
        if (!status.ok()) return status;
    }
    return status;
}

Status ModelLoader::validate(YamlDoc& doc, const std::string& file) {
    auto issues = composeSchema().validate(doc.value);
    bool removed = false;
    for (const auto& issue : issues) {
        if (!issue.unknownKey) continue;
        warn(fmt::format("{}: {}; ignoring it", markPrefix(doc.marks, issue.pointer, file),
                         issue.message));
        auto segs = pointerSegments(issue.pointer);
        if (segs.empty()) continue;
        std::string parent = issue.pointer.substr(0, issue.pointer.rfind('/'));
        if (json* p = jsonAt(doc.value, parent); p && p->is_object()) {
            p->erase(segs.back());
            eraseMarks(doc.marks, issue.pointer);
            removed = true;
        }
    }
    if (removed) issues = composeSchema().validate(doc.value);
    std::string errors;
    for (const auto& issue : issues) {
        if (issue.unknownKey) continue;
        if (!errors.empty()) errors += "\n";
        errors += fmt::format("{}: {}", markPrefix(doc.marks, issue.pointer, file), issue.message);
    }
    if (!errors.empty()) return invalid("{}", errors);
    return okStatus();
}

Result<YamlDoc> ModelLoader::loadFile(const std::string& path, const Scope& scope) {
    std::string name = displayName(path);
    std::string text;
    if (path == "-") {
        text = opts_.stdinText;
    } else {
        auto r = sys::readFile(path);
        if (!r)
            return Error{r.error().code, fmt::format("{}: {}", path, strerror(r.error().code)),
                         true};
        text = std::move(r.value());
    }
    YamlDoc doc = TRY(parseYamlDoc(text, name));
    if (doc.value.is_null()) return invalid("{}: empty compose file", name);
    if (!doc.value.is_object()) return invalid("{}: the top level must be a mapping", name);
    if (doc.value.contains("version"))
        warn(fmt::format(
            "{}: the attribute `version` is obsolete, it will be ignored, please remove "
            "it to avoid potential confusion",
            markPrefix(doc.marks, "/version", name)));
    if (opts_.interpolate) TRY(interpolate(doc, scope));
    TRY(castTypes(doc));
    TRY(validate(doc, name));
    return doc;
}

Status ModelLoader::resolveExtends(YamlDoc& doc, const std::string& file, const Scope& scope) {
    if (!doc.value.contains("services") || !doc.value["services"].is_object()) return okStatus();
    std::vector<std::string> names;
    for (auto& [name, svc] : doc.value["services"].items()) names.push_back(name);
    for (const auto& name : names) {
        std::vector<std::string> stack;
        TRY(extendService(doc, file, name, scope, stack));
    }
    return okStatus();
}

Status ModelLoader::extendService(YamlDoc& doc, const std::string& file, const std::string& name,
                                  const Scope& scope, std::vector<std::string>& stack) {
    std::string ptr = pointerAppend("/services", name);
    json& svc = doc.value["services"][name];
    if (!svc.is_object() || !svc.contains("extends")) return okStatus();
    std::string eptr = pointerAppend(ptr, "extends");
    auto fail = [&](std::string_view msg) {
        return invalid("{}: {}: {}", markPrefix(doc.marks, eptr, displayName(file)),
                       pointerToPath(eptr), msg);
    };
    std::string self = displayName(file) + ":" + name;
    if (std::find(stack.begin(), stack.end(), self) != stack.end()) {
        std::string chain;
        for (const auto& s : stack) chain += s + " -> ";
        return fail(fmt::format("circular reference: {}{}", chain, self));
    }
    stack.push_back(self);
    ScopeGuard pop([&] { stack.pop_back(); });

    const json ext = svc["extends"];
    std::string baseName = ext.is_string() ? ext.get<std::string>() : ext.value("service", "");
    std::string otherFile =
        ext.is_object() && ext.contains("file") ? ext["file"].get<std::string>() : "";

    YamlDoc tmp;
    std::string basePtr = pointerAppend("/services", baseName);
    if (otherFile.empty()) {
        if (!doc.value["services"].contains(baseName))
            return fail(fmt::format("cannot extend service \"{}\": no such service in {}", baseName,
                                    displayName(file)));
        TRY(extendService(doc, file, baseName, scope, stack));
        tmp.value = {{"services", {{name, doc.value["services"][baseName]}}}};
        copyMarks(doc.marks, basePtr, tmp.marks, ptr);
    } else {
        std::string path = absolutePath(dirOf(file, scope.projectDir), otherFile, home_);
        if (!extendsCache_.count(path)) {
            auto loaded = loadFile(path, scope);
            if (!loaded) return fail(loaded.error().msg);
            extendsCache_[path] = std::move(loaded.value());
        }
        YamlDoc other = extendsCache_[path];
        const json* base = jsonAt(other.value, basePtr);
        if (!base)
            return fail(
                fmt::format("cannot extend service \"{}\": no such service in {}", baseName, path));
        TRY(extendService(other, path, baseName, scope, stack));
        tmp.value = {{"services", {{name, other.value["services"][baseName]}}}};
        // Paths in the other file are relative to its own directory.
        resolveRawPaths(tmp.value, dirOf(path, scope.projectDir), home_);
        copyMarks(other.marks, basePtr, tmp.marks, ptr);
    }
    json& merged = tmp.value["services"][name];
    if (merged.is_null()) merged = json::object();
    merged.erase("extends");
    // The extending service over its base; drop its own `extends` from the source first.
    YamlDoc local;
    local.value = {{"services", {{name, svc}}}};
    local.value["services"][name].erase("extends");
    copyMarks(doc.marks, ptr, local.marks, ptr);
    for (auto& [p, t] : doc.tags)
        if (p.rfind(ptr + "/", 0) == 0) local.tags[p] = t;
    mergeAt(tmp, ptr, local, ptr);
    doc.value["services"][name] = std::move(merged);
    eraseMarks(doc.marks, ptr);
    copyMarks(tmp.marks, ptr, doc.marks, ptr);
    if (!doc.marks.count(ptr))
        if (auto m = local.marks.find(ptr); m != local.marks.end()) doc.marks[ptr] = m->second;
    return okStatus();
}

Status ModelLoader::applyInclude(YamlDoc& doc, const Scope& scope) {
    if (!doc.value.contains("include")) return okStatus();
    json includes = doc.value["include"];
    doc.value.erase("include");
    if (!includes.is_array()) includes = json::array({includes});
    for (size_t i = 0; i < includes.size(); i++) {
        std::string iptr = pointerAppend("/include", i);
        std::string where = markPrefix(doc.marks, iptr);
        const json& entry = includes[i];
        json paths = entry.is_string() ? json::array({entry}) : entry.value("path", json());
        if (paths.is_string()) paths = json::array({paths});
        if (!paths.is_array() || paths.empty())
            return invalid("{}: include: an entry needs a path", where);
        std::vector<std::string> files;
        for (const auto& p : paths)
            files.push_back(absolutePath(scope.projectDir, p.get<std::string>(), home_));
        for (const auto& f : files) {
            if (std::find(includeStack_.begin(), includeStack_.end(), f) != includeStack_.end()) {
                std::string chain;
                for (const auto& s : includeStack_) chain += s + " -> ";
                return invalid("{}: include cycle detected: {}{}", where, chain, f);
            }
        }
        Scope sub;
        sub.projectDir = entry.is_object() && entry.contains("project_directory")
                             ? absolutePath(scope.projectDir,
                                            entry["project_directory"].get<std::string>(), home_)
                             : dirOf(files[0], scope.projectDir);
        // The including project's environment wins; the included env files fill the gaps.
        sub.env = scope.env;
        std::vector<std::string> envFiles;
        if (entry.is_object() && entry.contains("env_file")) {
            json ef = entry["env_file"];
            if (ef.is_string()) ef = json::array({ef});
            for (const auto& f : ef)
                envFiles.push_back(absolutePath(scope.projectDir, f.get<std::string>(), home_));
        } else if (std::string dot = sub.projectDir + "/.env";
                   sys::exists(dot) && !sys::isDir(dot)) {
            envFiles.push_back(dot);
        }
        Lookup lookup = [&scope](std::string_view name) -> std::optional<std::string> {
            auto it = scope.env.find(std::string(name));
            if (it == scope.env.end()) return std::nullopt;
            return it->second;
        };
        for (const auto& f : envFiles) {
            auto list = readDotenvFile(f, lookup);
            if (!list) return invalid("{}: include: {}", where, list.error().str());
            for (auto& [k, v] : list.value())
                if (v && !sub.env.count(k)) sub.env[k] = *v;
        }
        YamlDoc included = TRY(load(files, sub));
        resolveRawPaths(included.value, sub.projectDir, home_);
        for (const char* kind : {"services", "volumes", "networks", "secrets", "configs"}) {
            if (!included.value.contains(kind) || !included.value[kind].is_object()) continue;
            if (!doc.value.contains(kind) || doc.value[kind].is_null())
                doc.value[kind] = json::object();
            for (auto& [key, def] : included.value[kind].items()) {
                std::string ptr = pointerAppend(pointerAppend("", kind), key);
                if (doc.value[kind].contains(key)) {
                    if (doc.value[kind][key] == def) continue;
                    return invalid("{}: {}.{} conflicts with imported resource from {}",
                                   markPrefix(doc.marks, ptr), kind, key, files[0]);
                }
                doc.value[kind][key] = def;
                copyMarks(included.marks, ptr, doc.marks, ptr);
            }
        }
    }
    eraseMarks(doc.marks, "/include");
    return okStatus();
}

Result<YamlDoc> ModelLoader::load(const std::vector<std::string>& files, const Scope& scope) {
    size_t depth = includeStack_.size();
    includeStack_.insert(includeStack_.end(), files.begin(), files.end());
    ScopeGuard pop([&] { includeStack_.resize(depth); });
    YamlDoc merged;
    for (const auto& f : files) {
        YamlDoc d = TRY(loadFile(f, scope));
        TRY(resolveExtends(d, f, scope));
        mergeDocs(merged, d);
    }
    TRY(applyInclude(merged, scope));
    return merged;
}

}  // namespace berth::compose
