// loadProject: options, discovery, environment, project name, profiles (see loader.h).
#include "compose/loader.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <set>

#include <fmt/core.h>

#include "common/sys.h"
#include "compose/dotenv.h"
#include "compose/loader_model.h"
#include "compose/normalize.h"

namespace berth::compose {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> splitList(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t c = s.find(sep, start);
        if (c == std::string_view::npos) c = s.size();
        std::string item(s.substr(start, c - start));
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) out.push_back(std::move(item));
        start = c + 1;
    }
    return out;
}

bool isFile(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

Error invalidName(std::string_view name) {
    return invalid(
        "invalid project name \"{}\": must consist only of lowercase alphanumeric characters, "
        "hyphens, and underscores as well as start with a letter or number",
        name);
}

// Services a service needs running: depends_on, links, network_mode/ipc/pid service:x,
// volumes_from services.
std::vector<std::string> dependencyNames(const json& svc) {
    std::vector<std::string> out;
    if (!svc.is_object()) return out;
    if (svc.contains("depends_on")) {
        const json& d = svc["depends_on"];
        if (d.is_array()) {
            for (const auto& e : d)
                if (e.is_string()) out.push_back(e.get<std::string>());
        } else if (d.is_object()) {
            for (auto& [k, v] : d.items()) out.push_back(k);
        }
    }
    if (svc.contains("links") && svc["links"].is_array())
        for (const auto& l : svc["links"])
            if (l.is_string())
                out.push_back(l.get<std::string>().substr(0, l.get<std::string>().find(':')));
    for (const char* k : {"network_mode", "ipc", "pid"})
        if (svc.contains(k) && svc[k].is_string() &&
            svc[k].get<std::string>().rfind("service:", 0) == 0)
            out.push_back(svc[k].get<std::string>().substr(8));
    if (svc.contains("volumes_from") && svc["volumes_from"].is_array())
        for (const auto& v : svc["volumes_from"]) {
            if (!v.is_string() || v.get<std::string>().rfind("container:", 0) == 0) continue;
            out.push_back(v.get<std::string>().substr(0, v.get<std::string>().find(':')));
        }
    return out;
}

bool hasActiveProfile(const json& svc, const std::set<std::string>& active) {
    if (!svc.is_object() || !svc.contains("profiles")) return true;
    json profiles = svc["profiles"].is_array() ? svc["profiles"] : json::array({svc["profiles"]});
    if (profiles.empty()) return true;
    if (active.count("*")) return true;
    for (const auto& p : profiles)
        if (p.is_string() && active.count(p.get<std::string>())) return true;
    return false;
}

// Drops the services the active profiles leave out; checks the dependencies of the rest.
Status applyProfiles(json& model, const Marks& marks, const std::vector<std::string>& profiles,
                     const std::vector<std::string>& explicitServices, ModelLoader& ml,
                     std::vector<std::string>& disabledOut) {
    if (!model.contains("services") || !model["services"].is_object()) {
        if (!explicitServices.empty()) return invalid("no such service: {}", explicitServices[0]);
        return okStatus();
    }
    json& services = model["services"];
    std::set<std::string> active(profiles.begin(), profiles.end()), enabled;
    for (auto& [name, svc] : services.items())
        if (hasActiveProfile(svc, active)) enabled.insert(name);
    // Services named on the command line run whatever their profiles, with what they need.
    std::deque<std::string> queue(explicitServices.begin(), explicitServices.end());
    for (const auto& s : explicitServices)
        if (!services.contains(s)) return invalid("no such service: {}", s);
    std::set<std::string> pulled;
    while (!queue.empty()) {
        std::string s = queue.front();
        queue.pop_front();
        if (!pulled.insert(s).second) continue;
        enabled.insert(s);
        for (const auto& d : dependencyNames(services[s]))
            if (services.contains(d)) queue.push_back(d);
    }
    for (const auto& name : enabled) {
        json& svc = services[name];
        std::string ptr = pointerAppend("/services", name);
        if (!svc.is_object()) continue;
        if (svc.contains("depends_on")) {
            std::string dptr = pointerAppend(ptr, "depends_on");
            auto deps = dependsOnLongForm(svc["depends_on"]);
            if (!deps)
                return invalid("{}: {}: {}", markPrefix(marks, dptr), pointerToPath(dptr),
                               deps.error().msg);
            json kept = json::object();
            for (auto& [dep, cfg] : deps.value().items()) {
                bool required = cfg["required"].get<bool>();
                std::string where = markPrefix(marks, pointerAppend(dptr, dep));
                if (!services.contains(dep)) {
                    if (required)
                        return invalid(
                            "{}: service \"{}\" depends on undefined service \"{}\": invalid "
                            "compose project",
                            where, name, dep);
                    ml.warn(
                        fmt::format("{}: service \"{}\" depends on undefined service \"{}\" (not "
                                    "required, ignored)",
                                    where, name, dep));
                    continue;
                }
                if (!enabled.count(dep)) {
                    if (required)
                        return invalid(
                            "{}: service \"{}\" was pulled in as a dependency of service \"{}\" "
                            "but is not enabled by the active profiles. You may fix this by "
                            "adding a common profile to \"{}\" and \"{}\"",
                            where, dep, name, dep, name);
                    continue;  // an optional dependency that is not running
                }
                kept[dep] = cfg;
            }
            svc["depends_on"] = std::move(kept);
        }
        for (const char* k : {"network_mode", "ipc", "pid"}) {
            if (!svc.contains(k) || !svc[k].is_string()) continue;
            const std::string& mode = svc[k].get_ref<const std::string&>();
            if (mode.rfind("service:", 0) != 0) continue;
            std::string target = mode.substr(8);
            std::string where = markPrefix(marks, pointerAppend(ptr, k));
            if (!services.contains(target))
                return invalid(
                    "{}: service \"{}\" refers to undefined service \"{}\" in {}: invalid "
                    "compose project",
                    where, name, target, k);
            if (!enabled.count(target))
                return invalid(
                    "{}: service \"{}\" was pulled in as a dependency of service \"{}\" but is "
                    "not enabled by the active profiles",
                    where, target, name);
        }
    }
    for (auto it = services.begin(); it != services.end();) {
        if (enabled.count(it.key())) {
            ++it;
        } else {
            disabledOut.push_back(it.key());
            it = services.erase(it);
        }
    }
    return okStatus();
}

Result<Project> load(const LoadOptions& opts) {
    Project p;
    std::error_code ec;
    std::string cwd = opts.workingDir.empty() ? fs::current_path(ec).string() : opts.workingDir;
    cwd = absolutePath(fs::current_path(ec).string(), cwd, "");
    std::string home;
    if (auto h = opts.environ.find("HOME"); h != opts.environ.end()) home = h->second;
    if (home.empty())
        if (const char* h = getenv("HOME")) home = h;

    // The files, and the project directory they imply.
    std::vector<std::string> files;
    if (!opts.files.empty()) {
        for (const auto& f : opts.files) files.push_back(f == "-" ? f : absolutePath(cwd, f, home));
    } else if (auto cf = opts.environ.find("COMPOSE_FILE");
               cf != opts.environ.end() && !cf->second.empty()) {
        auto sep = opts.environ.find("COMPOSE_PATH_SEPARATOR");
        char c = sep != opts.environ.end() && !sep->second.empty() ? sep->second[0] : ':';
        for (const auto& f : splitList(cf->second, c)) files.push_back(absolutePath(cwd, f, home));
    } else {
        files = TRY(findComposeFiles(cwd));
    }
    if (files.empty()) return invalid("no configuration file provided: not found");
    std::string projectDir = !opts.projectDirectory.empty()
                                 ? absolutePath(cwd, opts.projectDirectory, home)
                             : files[0] == "-" ? cwd
                                               : fs::path(files[0]).parent_path().string();

    // The interpolation environment: the env files under the process environment.
    std::vector<std::string> envFiles;
    for (const auto& f : opts.envFiles) envFiles.push_back(absolutePath(cwd, f, home));
    if (opts.envFiles.empty() && isFile(projectDir + "/.env"))
        envFiles.push_back(projectDir + "/.env");
    std::map<std::string, std::string> dotenv;
    Lookup lookup = [&](std::string_view name) -> std::optional<std::string> {
        std::string k(name);
        if (auto it = opts.environ.find(k); it != opts.environ.end()) return it->second;
        if (auto it = dotenv.find(k); it != dotenv.end()) return it->second;
        return std::nullopt;
    };
    for (const auto& f : envFiles) {
        auto list = readDotenvFile(f, lookup);
        if (!list) {
            if (list.error().code == ENOENT) return invalid("couldn't find env file: {}", f);
            return Error{list.error().code, list.error().msg, true};
        }
        for (auto& [k, v] : list.value()) {
            if (v)
                dotenv[k] = *v;
            else if (auto e = opts.environ.find(k); e != opts.environ.end())
                dotenv[k] = e->second;
        }
    }
    p.env = dotenv;
    for (const auto& [k, v] : opts.environ) p.env[k] = v;

    if (!opts.projectName.empty()) {
        if (!isValidProjectName(opts.projectName)) return invalidName(opts.projectName);
        p.name = opts.projectName;
    } else if (auto n = p.env.find("COMPOSE_PROJECT_NAME");
               n != p.env.end() && !n->second.empty()) {
        if (!isValidProjectName(n->second)) return invalidName(n->second);
        p.name = n->second;
    }
    std::vector<std::string> profiles = opts.profiles;
    if (profiles.empty())
        if (auto cp = p.env.find("COMPOSE_PROFILES"); cp != p.env.end())
            profiles = splitList(cp->second, ',');

    ModelLoader ml(opts, home, p.warnings);
    YamlDoc doc = TRY(ml.load(files, Scope{projectDir, p.env}));

    if (p.name.empty() && doc.value.contains("name") && doc.value["name"].is_string() &&
        !doc.value["name"].get<std::string>().empty()) {
        std::string n = doc.value["name"].get<std::string>();
        if (!isValidProjectName(n))
            return invalidName(n).wrap(markPrefix(doc.marks, "/name", displayName(files[0])));
        p.name = n;
    }
    if (p.name.empty()) {
        p.name = normalizeProjectName(fs::path(projectDir).filename().string());
        if (p.name.empty())
            return invalid(
                "project name must not be empty: the directory name \"{}\" has no usable "
                "character; use -p or a top-level `name:`",
                fs::path(projectDir).filename().string());
    }

    TRY(applyProfiles(doc.value, doc.marks, profiles, opts.explicitServices, ml,
                      p.disabledServices));

    if (opts.normalize) {
        NormalizeOptions no;
        no.projectName = p.name;
        no.projectDir = projectDir;
        no.env = &p.env;
        no.resolvePaths = opts.resolvePaths;
        no.marks = &doc.marks;
        no.fallbackFile = displayName(files[0]);
        no.warnings = &p.warnings;
        TRY(normalizeModel(doc.value, no));
    } else {
        doc.value["name"] = p.name;
    }
    p.model = std::move(doc.value);
    p.workingDir = projectDir;
    p.configFiles = files;
    return p;
}

}  // namespace

bool isValidProjectName(std::string_view name) {
    if (name.empty()) return false;
    auto ok = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    };
    if (name[0] == '_' || name[0] == '-') return false;
    return std::all_of(name.begin(), name.end(), ok);
}

std::string normalizeProjectName(std::string_view name) {
    std::string out;
    for (char c : name) {
        char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') out += l;
    }
    out.erase(0, out.find_first_not_of("_-"));
    if (out.find_first_not_of("_-") == std::string::npos) out.clear();
    return out;
}

Result<std::vector<std::string>> findComposeFiles(const std::string& startDir) {
    static const char* const kNames[] = {"compose.yaml", "compose.yml", "docker-compose.yml",
                                         "docker-compose.yaml"};
    std::error_code ec;
    fs::path dir = fs::absolute(startDir, ec).lexically_normal();
    while (true) {
        for (const char* name : kNames) {
            if (!isFile(dir / name)) continue;
            std::vector<std::string> out{(dir / name).string()};
            bool dockerFamily = std::string_view(name).rfind("docker-", 0) == 0;
            std::vector<const char*> overrides =
                dockerFamily
                    ? std::vector<const char*>{"docker-compose.override.yml",
                                               "docker-compose.override.yaml",
                                               "compose.override.yaml", "compose.override.yml"}
                    : std::vector<const char*>{"compose.override.yaml", "compose.override.yml",
                                               "docker-compose.override.yml",
                                               "docker-compose.override.yaml"};
            for (const char* o : overrides) {
                if (isFile(dir / o)) {
                    out.push_back((dir / o).string());
                    break;
                }
            }
            return out;
        }
        fs::path parent = dir.parent_path();
        if (parent == dir || parent.empty()) break;
        dir = parent;
    }
    return invalid("no configuration file provided: not found");
}

Result<Project> loadProject(const LoadOptions& opts) {
    try {
        return load(opts);
    } catch (const std::exception& e) {
        return invalid("loading the Compose project: {}", e.what());
    }
}

}  // namespace berth::compose
