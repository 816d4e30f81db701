// Normalization: the merged, validated Compose document -> the canonical long-form model every
// later stage relies on. Short syntaxes are expanded, env_file is read under environment, paths
// are made absolute, byte sizes become bytes, `x-*` keys, `version`, `include` and `extends` go.
// Errors name the file and line of the value. The model:
//   name; services: only those enabled by the profiles; networks/volumes/secrets/configs: each
//   {"name": "<project>_<key>" | explicit | (external) key, "external": bool, ...} (networks also
//   "internal"; secrets/configs "file" absolute); networks.default added when a service uses it.
// A service:
//   image (string); build {"context": abs dir or URL, "dockerfile" (default "Dockerfile"),
//   "args": {k: string|null}, "labels": {k: string}, ...}; command/entrypoint: string arrays
//   (a string is split like a shell; "" -> []); environment: {k: string|null} (env_file below
//   it; a bare K takes the project env's value, else null); labels/sysctls/annotations:
//   {k: string}; ports: [{"mode", "target": int, "published": string?, "host_ip"?,
//   "protocol"}]; volumes: [{"type": volume|bind|tmpfs|..., "source"? (bind: absolute),
//   "target", "read_only"?, "bind": {"create_host_path": true}? (short syntax), "volume"?,
//   "tmpfs": {"size": bytes}?}]; networks: {name: null | {"aliases"?, "ipv4_address"?,
//   "priority"?...}} or network_mode (default {"default": null}); depends_on: {svc:
//   {"condition", "required", "restart"}}; healthcheck: {"test": [...], durations as strings,
//   "retries": int} or {"disable": true}; secrets/configs: [{"source", "target"?, "uid"?, "gid"?,
//   "mode": int?}]; scale: int, always; shm_size/mem_limit/mem_reservation/memswap_limit and
//   deploy.resources.*.memory: bytes, deploy cpus: strings; ulimits: {n: {"soft", "hard"}};
//   dns, dns_search, dns_opt, cap_add, cap_drop, profiles, expose, extra_hosts ("host:ip"),
//   security_opt, group_add, tmpfs, links, volumes_from: string arrays. Other keys as written.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "compose/yaml.h"

namespace berth::compose {

struct NormalizeOptions {
    std::string projectName;
    std::string projectDir;  // absolute; relative paths and env_file resolve against it
    const std::map<std::string, std::string>* env = nullptr;  // project environment
    bool resolvePaths = true;      // false: relative paths stay as written (env_file is still read)
    const Marks* marks = nullptr;  // where values came from, for error messages
    std::string fallbackFile;      // named in errors about values without a mark
    std::vector<std::string>* warnings = nullptr;
};

Status normalizeModel(nlohmann::json& model, const NormalizeOptions& opts);

// --- pieces, public for the loader and for tests ---

// One `ports` entry (number, short string or long mapping) -> its long entries:
// {"mode":"ingress","target":80,"published":"8080"?,"host_ip":?,"protocol":"tcp"}.
// "8000-8002:80-82" gives three entries, "8000-8002:80" one with published "8000-8002".
Result<nlohmann::json> parsePortSpec(const nlohmann::json& spec);

// A short volume spec -> long form, paths as written: "data:/d:ro" -> {"type":"volume",
// "source":"data","target":"/d","read_only":true}; "./x:/y" -> bind with create_host_path;
// "/y" -> anonymous volume.
Result<nlohmann::json> parseVolumeSpec(std::string_view spec);

// `path` made absolute against `base` ("~" and "~/..." against `home`), lexically cleaned.
std::string absolutePath(const std::string& base, const std::string& path, const std::string& home);
// depends_on (list or mapping) -> {svc: {"condition", "required", "restart"}} with defaults
// (service_started, true, false) filled in. Errors name the bad entry (no file: callers add it).
Result<nlohmann::json> dependsOnLongForm(const nlohmann::json& dependsOn);

// A build context that is a URL (git, http(s)) and must be left alone.
bool isRemoteContext(std::string_view context);

// Relative paths of a raw (not yet normalized) document made absolute against `baseDir`:
// build contexts, env_file and label_file entries, bind-mount sources (short and long syntax),
// and the `file` of top-level secrets and configs. For included projects and for services
// extended from another file, whose paths are relative to their own directory.
void resolveRawPaths(nlohmann::json& doc, const std::string& baseDir, const std::string& home);

}  // namespace berth::compose
