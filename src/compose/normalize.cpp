// The canonical long-form model (see normalize.h).
#include "compose/normalize.h"

#include <cerrno>
#include <set>

#include <fmt/core.h>

#include "compose/dotenv.h"
#include "compose/values.h"

namespace berth::compose {

using nlohmann::json;

namespace {

// A scalar as the string Compose passes on: numbers and booleans as written, null as "".
std::string text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_null()) return "";
    return v.dump();
}

bool isX(const std::string& key) {
    return key.rfind("x-", 0) == 0;
}

struct Normalizer {
    const NormalizeOptions& o;
    json& model;
    std::string home;

    Error err(const std::string& ptr, std::string_view msg) const {
        static const Marks none;
        return invalid("{}: {}: {}", markPrefix(o.marks ? *o.marks : none, ptr, o.fallbackFile),
                       pointerToPath(ptr), msg);
    }
    // An error about a service as a whole (no dotted path: the message names it).
    Error svcErr(const std::string& ptr, std::string_view msg) const {
        static const Marks none;
        return invalid("{}: {}", markPrefix(o.marks ? *o.marks : none, ptr, o.fallbackFile), msg);
    }

    std::optional<std::string> env(const std::string& k) const {
        if (!o.env) return std::nullopt;
        auto it = o.env->find(k);
        if (it == o.env->end()) return std::nullopt;
        return it->second;
    }

    std::string path(const std::string& p) const {
        return o.resolvePaths ? absolutePath(o.projectDir, p, home) : p;
    }

    bool declared(const char* kind, const std::string& key) const {
        return model.contains(kind) && model[kind].is_object() && model[kind].contains(key);
    }

    // string -> [string]; list elements as strings.
    Result<json> stringList(const json& v, const std::string& ptr) const {
        json out = json::array();
        if (v.is_null()) return out;
        if (!v.is_array()) {
            if (v.is_object()) return err(ptr, "must be a string or a list of strings");
            out.push_back(text(v));
            return out;
        }
        for (size_t i = 0; i < v.size(); i++) {
            if (v[i].is_object() || v[i].is_array())
                return err(pointerAppend(ptr, i), "must be a string");
            out.push_back(text(v[i]));
        }
        return out;
    }

    // list_or_dict -> map with raw values ("K" alone and `K:` -> null).
    Result<json> rawMap(const json& v, const std::string& ptr) const {
        if (v.is_null()) return json::object();
        if (v.is_object()) return v;
        if (!v.is_array()) return err(ptr, "must be a mapping or a list of KEY=VALUE strings");
        json out = json::object();
        for (size_t i = 0; i < v.size(); i++) {
            if (!v[i].is_string() && !v[i].is_number())
                return err(pointerAppend(ptr, i), "must be a KEY=VALUE string");
            std::string item = text(v[i]);
            size_t eq = item.find('=');
            if (eq == 0)
                return err(pointerAppend(ptr, i), fmt::format("empty key in \"{}\"", item));
            out[item.substr(0, eq)] = eq == std::string::npos ? json() : json(item.substr(eq + 1));
        }
        return out;
    }

    // labels/sysctls/annotations/driver_opts: every value a string.
    Result<json> stringMap(const json& v, const std::string& ptr) const {
        json m = TRY(rawMap(v, ptr));
        for (auto& [k, val] : m.items()) {
            if (val.is_object() || val.is_array())
                return err(pointerAppend(ptr, k), "must be a string, number or boolean");
            val = text(val);
        }
        return m;
    }

    // environment / build.args: a null value takes the project environment's, else stays null.
    Result<json> envMap(const json& v, const std::string& ptr) const {
        json m = TRY(rawMap(v, ptr));
        for (auto& [k, val] : m.items()) {
            if (val.is_object() || val.is_array())
                return err(pointerAppend(ptr, k), "must be a string, number or boolean");
            if (val.is_null()) {
                if (auto e = env(k)) val = *e;
            } else {
                val = text(val);
            }
        }
        return m;
    }

    Result<int64_t> bytes(const json& v, const std::string& ptr) const {
        if (v.is_number()) return static_cast<int64_t>(v.get<double>());
        if (!v.is_string()) return err(ptr, "must be a size like 64m");
        const std::string& s = v.get_ref<const std::string&>();
        if (!s.empty() && s[0] == '-') {  // -1: unlimited (memswap_limit)
            auto n = typePlainScalar(s);
            if (n.is_number_integer()) return n.get<int64_t>();
        }
        auto r = parseBytes(s);
        if (!r) return err(ptr, r.error().msg);
        return r.value();
    }

    Result<int64_t> integer(const json& v, const std::string& ptr) const {
        if (v.is_number_integer()) return v.get<int64_t>();
        if (v.is_number_float() &&
            v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>())))
            return static_cast<int64_t>(v.get<double>());
        if (v.is_string()) {
            json n = typePlainScalar(v.get<std::string>());
            if (n.is_number_integer()) return n.get<int64_t>();
        }
        return err(ptr, fmt::format("must be an integer, not {}", v.dump()));
    }

    Status duration(const json& v, const std::string& ptr) const {
        if (!v.is_string()) return err(ptr, "must be a duration like 30s");
        auto r = parseDurationNs(v.get<std::string>());
        if (!r) return err(ptr, r.error().msg);
        return okStatus();
    }

    Status resources(json& model, const std::string& kind, const char* what);
    Status service(const std::string& name, json& s, const std::string& ptr);
    Status environment(json& s, const std::string& ptr);
    Status build(json& s, const std::string& ptr);
    Status ports(json& s, const std::string& ptr);
    Status volumes(const std::string& name, json& s, const std::string& ptr);
    Status mountRefs(const std::string& name, json& s, const std::string& ptr, const char* kind);
    Status networks(const std::string& name, json& s, const std::string& ptr);
    Status healthcheck(json& s, const std::string& ptr);
    Status deploy(json& s, const std::string& ptr);
    Status scale(const std::string& name, json& s, const std::string& ptr);
    Status commands(json& s, const std::string& ptr);
    Status misc(json& s, const std::string& ptr);
};

// Top-level networks, volumes, secrets, configs.
Status Normalizer::resources(json& m, const std::string& kind, const char* what) {
    if (!m.contains(kind)) return okStatus();
    if (m[kind].is_null()) m[kind] = json::object();
    for (auto& [key, def] : m[kind].items()) {
        std::string ptr = pointerAppend(pointerAppend("", kind), key);
        if (def.is_null()) def = json::object();
        bool external = false;
        std::string name =
            def.contains("name") && def["name"].is_string() ? def["name"].get<std::string>() : "";
        if (def.contains("external")) {
            json& ext = def["external"];
            if (ext.is_object()) {  // the deprecated `external: {name: x}`
                external = true;
                if (ext.contains("name") && name.empty()) name = text(ext["name"]);
            } else if (ext.is_boolean()) {
                external = ext.get<bool>();
            } else {
                return err(pointerAppend(ptr, "external"), "must be true or false");
            }
        }
        def["external"] = external;
        if (name.empty()) name = external ? key : o.projectName + "_" + key;
        def["name"] = name;
        for (auto it = def.begin(); it != def.end();)
            it = isX(it.key()) ? def.erase(it) : std::next(it);
        if (def.contains("labels"))
            def["labels"] = TRY(stringMap(def["labels"], pointerAppend(ptr, "labels")));
        if (def.contains("driver_opts"))
            def["driver_opts"] =
                TRY(stringMap(def["driver_opts"], pointerAppend(ptr, "driver_opts")));
        if (kind == "networks" && !def.contains("internal")) def["internal"] = false;
        if (kind == "secrets" || kind == "configs") {
            if (def.contains("file") && def["file"].is_string())
                def["file"] = path(def["file"].get<std::string>());
            if (!external && !def.contains("file") && !def.contains("environment") &&
                !def.contains("content"))
                return svcErr(
                    ptr, fmt::format("{} \"{}\" must declare either `file`, `environment`{} or "
                                     "`external`",
                                     what, key, kind == "configs" ? ", `content`" : ""));
        }
    }
    return okStatus();
}

Status Normalizer::environment(json& s, const std::string& ptr) {
    for (const char* fileKey : {"env_file", "label_file"}) {
        if (!s.contains(fileKey)) continue;
        std::string fptr = pointerAppend(ptr, fileKey);
        json files = s[fileKey].is_array() ? s[fileKey] : json::array({s[fileKey]});
        json fromFiles = json::object();
        for (size_t i = 0; i < files.size(); i++) {
            const json& f = files[i];
            std::string p;
            bool required = true;
            if (f.is_string()) {
                p = f.get<std::string>();
            } else if (f.is_object() && f.contains("path") && f["path"].is_string()) {
                p = f["path"].get<std::string>();
                if (f.contains("required"))
                    required = !f["required"].is_boolean() || f["required"].get<bool>();
            } else {
                return err(pointerAppend(fptr, i), "must be a path or {path, required}");
            }
            std::string abs = absolutePath(o.projectDir, p, home);
            Lookup lookup = [this](std::string_view k) { return env(std::string(k)); };
            auto list = readDotenvFile(abs, lookup);
            if (!list) {
                if (list.error().code == ENOENT && !required) continue;
                if (list.error().code == ENOENT)
                    return err(pointerAppend(fptr, i), fmt::format("env file {} not found", abs));
                return err(pointerAppend(fptr, i), list.error().str());
            }
            for (auto& [k, v] : list.value()) {
                if (v)
                    fromFiles[k] = *v;
                else if (auto e = env(k))
                    fromFiles[k] = *e;
                else
                    fromFiles[k] = nullptr;
            }
        }
        std::string target = std::string(fileKey) == "env_file" ? "environment" : "labels";
        json given = TRY(target == "environment"
                             ? envMap(s.value(target, json()), pointerAppend(ptr, target))
                             : stringMap(s.value(target, json()), pointerAppend(ptr, target)));
        if (target == "labels")
            for (auto& [k, v] : fromFiles.items())
                if (v.is_null()) v = "";
        fromFiles.update(given);  // the service's own entries win over the files'
        s[target] = std::move(fromFiles);
        s.erase(fileKey);
    }
    if (s.contains("environment"))
        s["environment"] = TRY(envMap(s["environment"], pointerAppend(ptr, "environment")));
    for (const char* k : {"labels", "sysctls", "annotations"})
        if (s.contains(k)) s[k] = TRY(stringMap(s[k], pointerAppend(ptr, k)));
    return okStatus();
}

Status Normalizer::build(json& s, const std::string& ptr) {
    if (!s.contains("build")) return okStatus();
    std::string bptr = pointerAppend(ptr, "build");
    json& b = s["build"];
    if (b.is_string()) b = json{{"context", b}};
    if (!b.is_object()) return err(bptr, "must be a path or a mapping");
    std::string ctx = b.contains("context") ? text(b["context"]) : ".";
    b["context"] = isRemoteContext(ctx) ? ctx : path(ctx);
    if (!b.contains("dockerfile") && !b.contains("dockerfile_inline"))
        b["dockerfile"] = "Dockerfile";
    if (b.contains("args")) b["args"] = TRY(envMap(b["args"], pointerAppend(bptr, "args")));
    if (b.contains("labels"))
        b["labels"] = TRY(stringMap(b["labels"], pointerAppend(bptr, "labels")));
    for (const char* k : {"tags", "cache_from", "cache_to", "platforms"})
        if (b.contains(k)) b[k] = TRY(stringList(b[k], pointerAppend(bptr, k)));
    return okStatus();
}

Status Normalizer::ports(json& s, const std::string& ptr) {
    if (!s.contains("ports")) return okStatus();
    std::string pptr = pointerAppend(ptr, "ports");
    if (!s["ports"].is_array()) return err(pptr, "must be a list");
    json out = json::array();
    for (size_t i = 0; i < s["ports"].size(); i++) {
        auto entries = parsePortSpec(s["ports"][i]);
        if (!entries) return err(pointerAppend(pptr, i), entries.error().msg);
        for (auto& e : entries.value()) out.push_back(std::move(e));
    }
    s["ports"] = std::move(out);
    return okStatus();
}

Status Normalizer::volumes(const std::string& name, json& s, const std::string& ptr) {
    if (!s.contains("volumes")) return okStatus();
    std::string vptr = pointerAppend(ptr, "volumes");
    if (!s["volumes"].is_array()) return err(vptr, "must be a list");
    for (size_t i = 0; i < s["volumes"].size(); i++) {
        json& v = s["volumes"][i];
        std::string iptr = pointerAppend(vptr, i);
        if (v.is_string()) {
            auto parsed = parseVolumeSpec(v.get<std::string>());
            if (!parsed) return err(iptr, parsed.error().msg);
            v = std::move(parsed.value());
        }
        if (!v.is_object()) return err(iptr, "must be a string or a mapping");
        std::string type = v.value("type", "volume");
        v["type"] = type;
        std::string source = v.contains("source") ? text(v["source"]) : "";
        if (type == "bind") {
            if (source.empty()) return err(iptr, "a bind mount needs a source");
            v["source"] = path(source);
        } else if (type == "volume") {
            if (source.empty()) {
                v.erase("source");  // anonymous
            } else if (!declared("volumes", source)) {
                return svcErr(iptr, fmt::format("service \"{}\" refers to undefined volume {}: "
                                                "invalid compose project",
                                                name, source));
            }
        } else if (type == "tmpfs" && v.contains("tmpfs") && v["tmpfs"].is_object() &&
                   v["tmpfs"].contains("size")) {
            v["tmpfs"]["size"] =
                TRY(bytes(v["tmpfs"]["size"], pointerAppend(pointerAppend(iptr, "tmpfs"), "size")));
        }
        if (!v.contains("target") || text(v["target"]).empty())
            return err(iptr, "a mount needs a target");
    }
    return okStatus();
}

Status Normalizer::mountRefs(const std::string& name, json& s, const std::string& ptr,
                             const char* kind) {
    if (!s.contains(kind)) return okStatus();
    std::string kptr = pointerAppend(ptr, kind);
    if (!s[kind].is_array()) return err(kptr, "must be a list");
    for (size_t i = 0; i < s[kind].size(); i++) {
        json& r = s[kind][i];
        std::string iptr = pointerAppend(kptr, i);
        if (r.is_string()) r = json{{"source", r}};
        if (!r.is_object() || !r.contains("source"))
            return err(iptr, "must be a name or a mapping with a source");
        r["source"] = text(r["source"]);
        for (const char* k : {"uid", "gid", "target"})
            if (r.contains(k)) r[k] = text(r[k]);
        if (r.contains("mode")) {
            if (r["mode"].is_string()) {  // "0440" is octal, as in a plain YAML 0440
                json n = typePlainScalar(r["mode"].get<std::string>());
                if (!n.is_number_integer())
                    return err(pointerAppend(iptr, "mode"), "must be a file mode like 0440");
                r["mode"] = n;
            }
            r["mode"] = TRY(integer(r["mode"], pointerAppend(iptr, "mode")));
        }
        std::string source = r["source"].get<std::string>();
        if (!declared(kind, source)) {
            std::string what = std::string(kind) == "secrets" ? "secret" : "config";
            return svcErr(
                iptr,
                fmt::format("service \"{}\" refers to undefined {} {}: invalid compose project",
                            name, what, source));
        }
    }
    return okStatus();
}

Status Normalizer::networks(const std::string& name, json& s, const std::string& ptr) {
    std::string nptr = pointerAppend(ptr, "networks");
    if (s.contains("network_mode") && !s["network_mode"].is_null()) {
        if (s.contains("networks"))
            return svcErr(
                nptr, fmt::format("service \"{}\" declares mutually exclusive `network_mode` and "
                                  "`networks`: invalid compose project",
                                  name));
        s["network_mode"] = text(s["network_mode"]);
        return okStatus();
    }
    s.erase("network_mode");
    json& n = s["networks"];
    if (n.is_null()) n = json::object({{"default", nullptr}});
    if (n.is_array()) {
        json m = json::object();
        for (const auto& e : n) m[text(e)] = nullptr;
        n = std::move(m);
    }
    if (!n.is_object()) return err(nptr, "must be a list or a mapping");
    for (auto& [key, cfg] : n.items()) {
        std::string cptr = pointerAppend(nptr, key);
        if (key != "default" && !declared("networks", key))
            return svcErr(
                cptr, fmt::format("service \"{}\" refers to undefined network {}: invalid compose "
                                  "project",
                                  name, key));
        if (cfg.is_null()) continue;
        if (!cfg.is_object()) return err(cptr, "must be a mapping or null");
        if (cfg.contains("aliases"))
            cfg["aliases"] = TRY(stringList(cfg["aliases"], pointerAppend(cptr, "aliases")));
        for (const char* k : {"priority", "gw_priority"})
            if (cfg.contains(k)) cfg[k] = TRY(integer(cfg[k], pointerAppend(cptr, k)));
    }
    return okStatus();
}

Status Normalizer::healthcheck(json& s, const std::string& ptr) {
    if (!s.contains("healthcheck")) return okStatus();
    std::string hptr = pointerAppend(ptr, "healthcheck");
    json& h = s["healthcheck"];
    if (h.is_null()) {
        s.erase("healthcheck");
        return okStatus();
    }
    if (!h.is_object()) return err(hptr, "must be a mapping");
    bool disable = h.contains("disable") && h["disable"].is_boolean() && h["disable"].get<bool>();
    if (h.contains("test")) {
        json& t = h["test"];
        if (t.is_string()) {
            t = json::array({"CMD-SHELL", t});
        } else {
            t = TRY(stringList(t, pointerAppend(hptr, "test")));
        }
        if (!t.empty() && t[0] == "NONE") disable = true;
    }
    if (disable) {
        h = json{{"disable", true}};
        return okStatus();
    }
    h.erase("disable");
    for (const char* k : {"interval", "timeout", "start_period", "start_interval"})
        if (h.contains(k)) TRY(duration(h[k], pointerAppend(hptr, k)));
    if (h.contains("retries"))
        h["retries"] = TRY(integer(h["retries"], pointerAppend(hptr, "retries")));
    return okStatus();
}

Status Normalizer::deploy(json& s, const std::string& ptr) {
    if (!s.contains("deploy")) return okStatus();
    std::string dptr = pointerAppend(ptr, "deploy");
    json& d = s["deploy"];
    if (d.is_null()) {
        s.erase("deploy");
        return okStatus();
    }
    if (d.contains("labels"))
        d["labels"] = TRY(stringMap(d["labels"], pointerAppend(dptr, "labels")));
    if (d.contains("resources") && d["resources"].is_object()) {
        std::string rptr = pointerAppend(dptr, "resources");
        for (const char* part : {"limits", "reservations"}) {
            if (!d["resources"].contains(part) || !d["resources"][part].is_object()) continue;
            json& r = d["resources"][part];
            std::string pptr = pointerAppend(rptr, part);
            if (r.contains("cpus")) r["cpus"] = text(r["cpus"]);
            if (r.contains("memory"))
                r["memory"] = TRY(bytes(r["memory"], pointerAppend(pptr, "memory")));
            if (r.contains("pids"))
                r["pids"] = TRY(integer(r["pids"], pointerAppend(pptr, "pids")));
        }
    }
    if (d.contains("replicas"))
        d["replicas"] = TRY(integer(d["replicas"], pointerAppend(dptr, "replicas")));
    return okStatus();
}

Status Normalizer::scale(const std::string& name, json& s, const std::string& ptr) {
    std::optional<int64_t> scale, replicas;
    if (s.contains("scale") && !s["scale"].is_null())
        scale = TRY(integer(s["scale"], pointerAppend(ptr, "scale")));
    if (s.contains("deploy") && s["deploy"].contains("replicas") &&
        !s["deploy"]["replicas"].is_null())
        replicas = s["deploy"]["replicas"].get<int64_t>();
    if (scale && replicas && *scale != *replicas)
        return svcErr(pointerAppend(ptr, "scale"),
                      fmt::format("service \"{}\": `scale` ({}) and `deploy.replicas` ({}) differ",
                                  name, *scale, *replicas));
    int64_t n = scale ? *scale : replicas ? *replicas : 1;
    if (n < 0) return err(pointerAppend(ptr, "scale"), "must not be negative");
    s["scale"] = n;
    if (n > 1 && s.contains("container_name"))
        return svcErr(
            pointerAppend(ptr, "container_name"),
            fmt::format("service \"{}\": container_name \"{}\" cannot be used with scale {}: a "
                        "container name must be unique",
                        name, text(s["container_name"]), n));
    return okStatus();
}

Status Normalizer::commands(json& s, const std::string& ptr) {
    for (const char* k : {"command", "entrypoint"}) {
        if (!s.contains(k)) continue;
        json& c = s[k];
        std::string cptr = pointerAppend(ptr, k);
        if (c.is_null()) {
            s.erase(k);
        } else if (c.is_string()) {
            auto words = shellSplit(c.get<std::string>());
            if (!words) return err(cptr, words.error().msg);
            c = words.value();
        } else {
            c = TRY(stringList(c, cptr));
        }
    }
    return okStatus();
}

Status Normalizer::misc(json& s, const std::string& ptr) {
    for (const char* k : {"dns", "dns_search", "dns_opt", "cap_add", "cap_drop", "profiles",
                          "expose", "security_opt", "group_add", "links", "external_links",
                          "volumes_from", "device_cgroup_rules", "tmpfs"})
        if (s.contains(k)) s[k] = TRY(stringList(s[k], pointerAppend(ptr, k)));
    if (s.contains("extra_hosts")) {
        std::string eptr = pointerAppend(ptr, "extra_hosts");
        json& e = s["extra_hosts"];
        json out = json::array();
        if (e.is_object()) {
            for (auto& [host, ips] : e.items()) {
                json list = TRY(stringList(ips, pointerAppend(eptr, host)));
                for (const auto& ip : list) out.push_back(host + ":" + ip.get<std::string>());
            }
        } else {
            for (auto item : TRY(stringList(e, eptr))) {
                std::string h = item.get<std::string>();
                size_t eq = h.find('='), colon = h.find(':');
                if (eq != std::string::npos && (colon == std::string::npos || eq < colon))
                    h[eq] = ':';
                out.push_back(h);
            }
        }
        e = std::move(out);
    }
    for (const char* k : {"shm_size", "mem_limit", "mem_reservation", "memswap_limit"})
        if (s.contains(k) && !s[k].is_null()) s[k] = TRY(bytes(s[k], pointerAppend(ptr, k)));
    if (s.contains("ulimits")) {
        std::string uptr = pointerAppend(ptr, "ulimits");
        if (!s["ulimits"].is_object()) return err(uptr, "must be a mapping");
        for (auto& [name, u] : s["ulimits"].items()) {
            std::string lptr = pointerAppend(uptr, name);
            if (u.is_object()) {
                if (!u.contains("soft") || !u.contains("hard"))
                    return err(lptr, "needs both soft and hard");
                u["soft"] = TRY(integer(u["soft"], pointerAppend(lptr, "soft")));
                u["hard"] = TRY(integer(u["hard"], pointerAppend(lptr, "hard")));
            } else {
                int64_t n = TRY(integer(u, lptr));
                u = json{{"soft", n}, {"hard", n}};
            }
        }
    }
    if (s.contains("stop_grace_period"))
        TRY(duration(s["stop_grace_period"], pointerAppend(ptr, "stop_grace_period")));
    return okStatus();
}

Status Normalizer::service(const std::string& name, json& s, const std::string& ptr) {
    if (s.is_null()) s = json::object();
    if (!s.is_object()) return err(ptr, "must be a mapping");
    for (auto it = s.begin(); it != s.end();) it = isX(it.key()) ? s.erase(it) : std::next(it);
    s.erase("extends");
    TRY(build(s, ptr));
    if (!s.contains("image") && !s.contains("build"))
        return svcErr(
            ptr, fmt::format("service \"{}\" has neither an image nor a build context specified: "
                             "invalid compose project",
                             name));
    if (s.contains("image")) s["image"] = text(s["image"]);
    TRY(commands(s, ptr));
    TRY(environment(s, ptr));
    TRY(ports(s, ptr));
    TRY(volumes(name, s, ptr));
    TRY(mountRefs(name, s, ptr, "secrets"));
    TRY(mountRefs(name, s, ptr, "configs"));
    TRY(networks(name, s, ptr));
    if (s.contains("depends_on")) {
        auto d = dependsOnLongForm(s["depends_on"]);
        if (!d) return err(pointerAppend(ptr, "depends_on"), d.error().msg);
        s["depends_on"] = std::move(d.value());
    }
    TRY(healthcheck(s, ptr));
    TRY(deploy(s, ptr));
    TRY(scale(name, s, ptr));
    TRY(misc(s, ptr));
    return okStatus();
}

}  // namespace

Result<json> dependsOnLongForm(const json& v) {
    json out = json::object();
    if (v.is_null()) return out;
    if (v.is_array()) {
        for (const auto& d : v) {
            if (!d.is_string()) return invalid("must list service names");
            out[d.get<std::string>()] = nullptr;
        }
    } else if (v.is_object()) {
        out = v;
    } else {
        return invalid("must be a list of services or a mapping");
    }
    for (auto& [svc, cfg] : out.items()) {
        if (cfg.is_null()) cfg = json::object();
        if (!cfg.is_object()) return invalid("{}: must be a mapping", svc);
        if (!cfg.contains("condition")) cfg["condition"] = "service_started";
        for (const auto& [k, def] : {std::pair{"required", true}, std::pair{"restart", false}}) {
            if (!cfg.contains(k)) cfg[k] = def;
            if (!cfg[k].is_boolean()) return invalid("{}.{}: must be true or false", svc, k);
        }
        const std::string c =
            cfg["condition"].is_string() ? cfg["condition"].get<std::string>() : "";
        if (c != "service_started" && c != "service_healthy" &&
            c != "service_completed_successfully")
            return invalid("{}.condition: unknown condition {}", svc, cfg["condition"].dump());
    }
    return out;
}

namespace {
Status normalizeImpl(json& model, const NormalizeOptions& opts) {
    if (model.is_null()) model = json::object();
    if (!model.is_object())
        return invalid("{}: the Compose file must be a mapping", opts.fallbackFile);
    Normalizer n{opts, model, ""};
    if (opts.env)
        if (auto h = opts.env->find("HOME"); h != opts.env->end()) n.home = h->second;
    if (n.home.empty())
        if (const char* h = getenv("HOME")) n.home = h;
    for (auto it = model.begin(); it != model.end();) {
        const std::string& k = it.key();
        it = isX(k) || k == "version" || k == "include" ? model.erase(it) : std::next(it);
    }
    model["name"] = opts.projectName;
    TRY(n.resources(model, "networks", "network"));
    TRY(n.resources(model, "volumes", "volume"));
    TRY(n.resources(model, "secrets", "secret"));
    TRY(n.resources(model, "configs", "config"));
    if (!model.contains("services") || model["services"].is_null())
        model["services"] = json::object();
    bool usesDefault = false;
    for (auto& [name, s] : model["services"].items()) {
        TRY(n.service(name, s, pointerAppend("/services", name)));
        if (s.contains("networks") && s["networks"].contains("default")) usesDefault = true;
    }
    if (usesDefault && !n.declared("networks", "default")) {
        model["networks"]["default"] = {
            {"name", opts.projectName + "_default"}, {"external", false}, {"internal", false}};
    }
    return okStatus();
}
}  // namespace

Status normalizeModel(json& model, const NormalizeOptions& opts) {
    try {
        return normalizeImpl(model, opts);
    } catch (const std::exception& e) {
        return invalid("{}: normalizing the model: {}", opts.fallbackFile, e.what());
    }
}

}  // namespace berth::compose
