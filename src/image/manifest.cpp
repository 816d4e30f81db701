// JSON of manifests, indexes and image configs. Parsing is lenient about unknown fields (they
// are kept in the stored blob, which is never re-serialised); writing is canonical (sorted keys,
// no whitespace) because the bytes are what the digest covers.
#include "image/manifest.h"

#include <time.h>

#include <nlohmann/json.hpp>

#include "image/media.h"

namespace berth::image {

using json = nlohmann::json;

namespace {

template <typename F>
auto guarded(std::string_view what, F f) -> decltype(f()) {
    try {
        return f();
    } catch (const json::exception& e) {
        return invalid("parse {}: {}", what, e.what());
    }
}

std::string str(const json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> strMap(const json& j, const char* k) {
    std::map<std::string, std::string> m;
    auto it = j.find(k);
    if (it == j.end() || !it->is_object()) return m;
    for (auto& [key, v] : it->items())
        if (v.is_string()) m[key] = v.get<std::string>();
    return m;
}

std::vector<std::string> strList(const json& j, const char* k) {
    std::vector<std::string> v;
    auto it = j.find(k);
    if (it == j.end() || !it->is_array()) return v;
    for (auto& e : *it)
        if (e.is_string()) v.push_back(e.get<std::string>());
    return v;
}

Result<Descriptor> parseDescriptor(const json& j) {
    if (!j.is_object()) return invalid("descriptor is not an object");
    Descriptor d;
    d.mediaType = str(j, "mediaType");
    d.digest = TRY_CTX(Digest::parse(str(j, "digest")), "descriptor");
    if (auto it = j.find("size"); it != j.end() && it->is_number_integer()) d.size = *it;
    if (d.size < 0) return invalid("descriptor {}: negative size", d.digest.str());
    if (auto it = j.find("platform"); it != j.end() && it->is_object()) {
        Platform p;
        p.architecture = str(*it, "architecture");
        p.os = str(*it, "os");
        p.variant = str(*it, "variant");
        p.osVersion = str(*it, "os.version");
        d.platform = p;
    }
    d.annotations = strMap(j, "annotations");
    d.urls = strList(j, "urls");
    return d;
}

json descriptorJson(const Descriptor& d) {
    json j = {{"mediaType", d.mediaType}, {"digest", d.digest.str()}, {"size", d.size}};
    if (d.platform) {
        json p = {{"architecture", d.platform->architecture}, {"os", d.platform->os}};
        if (!d.platform->variant.empty()) p["variant"] = d.platform->variant;
        if (!d.platform->osVersion.empty()) p["os.version"] = d.platform->osVersion;
        j["platform"] = p;
    }
    if (!d.annotations.empty()) j["annotations"] = d.annotations;
    if (!d.urls.empty()) j["urls"] = d.urls;
    return j;
}

std::map<std::string, std::map<std::string, std::string>> setMap(const json& j, const char* k) {
    std::map<std::string, std::map<std::string, std::string>> m;
    auto it = j.find(k);
    if (it == j.end() || !it->is_object()) return m;
    for (auto& [key, v] : it->items()) {
        (void)v;
        m[key] = {};
    }
    return m;
}

ContainerConfig containerConfigFrom(const json& c) {
    ContainerConfig cc;
    if (!c.is_object()) return cc;
    cc.hostname = str(c, "Hostname");
    cc.domainname = str(c, "Domainname");
    cc.user = str(c, "User");
    cc.exposedPorts = setMap(c, "ExposedPorts");
    cc.env = strList(c, "Env");
    if (auto it = c.find("Entrypoint"); it != c.end() && it->is_array())
        cc.entrypoint = strList(c, "Entrypoint");
    if (auto it = c.find("Cmd"); it != c.end() && it->is_array()) cc.cmd = strList(c, "Cmd");
    if (auto it = c.find("Healthcheck"); it != c.end() && it->is_object()) {
        HealthConfig h;
        h.test = strList(*it, "Test");
        auto num = [&](const char* k) -> int64_t {
            auto v = it->find(k);
            return v != it->end() && v->is_number_integer() ? v->get<int64_t>() : 0;
        };
        h.interval = num("Interval");
        h.timeout = num("Timeout");
        h.startPeriod = num("StartPeriod");
        h.startInterval = num("StartInterval");
        h.retries = static_cast<int>(num("Retries"));
        cc.healthcheck = h;
    }
    if (auto it = c.find("ArgsEscaped"); it != c.end() && it->is_boolean()) cc.argsEscaped = *it;
    cc.volumes = setMap(c, "Volumes");
    cc.workingDir = str(c, "WorkingDir");
    cc.labels = strMap(c, "Labels");
    cc.stopSignal = str(c, "StopSignal");
    cc.onBuild = strList(c, "OnBuild");
    cc.shell = strList(c, "Shell");
    return cc;
}

json containerConfigToJson(const ContainerConfig& c) {
    json j = json::object();
    auto setStr = [&](const char* k, const std::string& v) {
        if (!v.empty()) j[k] = v;
    };
    setStr("Hostname", c.hostname);
    setStr("Domainname", c.domainname);
    setStr("User", c.user);
    auto setSet = [&](const char* k, const auto& m) {
        if (m.empty()) return;
        json o = json::object();
        for (auto& [key, v] : m) {
            (void)v;
            o[key] = json::object();
        }
        j[k] = o;
    };
    setSet("ExposedPorts", c.exposedPorts);
    if (!c.env.empty()) j["Env"] = c.env;
    if (c.entrypoint) j["Entrypoint"] = *c.entrypoint;
    if (c.cmd) j["Cmd"] = *c.cmd;
    if (c.healthcheck) {
        json h = {{"Test", c.healthcheck->test}};
        if (c.healthcheck->interval) h["Interval"] = c.healthcheck->interval;
        if (c.healthcheck->timeout) h["Timeout"] = c.healthcheck->timeout;
        if (c.healthcheck->startPeriod) h["StartPeriod"] = c.healthcheck->startPeriod;
        if (c.healthcheck->startInterval) h["StartInterval"] = c.healthcheck->startInterval;
        if (c.healthcheck->retries) h["Retries"] = c.healthcheck->retries;
        j["Healthcheck"] = h;
    }
    if (c.argsEscaped) j["ArgsEscaped"] = true;
    setSet("Volumes", c.volumes);
    setStr("WorkingDir", c.workingDir);
    if (!c.labels.empty()) j["Labels"] = c.labels;
    setStr("StopSignal", c.stopSignal);
    if (!c.onBuild.empty()) j["OnBuild"] = c.onBuild;
    if (!c.shell.empty()) j["Shell"] = c.shell;
    return j;
}

}  // namespace

Result<Manifest> parseManifest(std::string_view text) {
    return guarded("manifest", [&]() -> Result<Manifest> {
        auto j = json::parse(text);
        if (!j.is_object()) return invalid("manifest is not a JSON object");
        Manifest m;
        if (auto it = j.find("schemaVersion"); it != j.end() && it->is_number_integer())
            m.schemaVersion = *it;
        if (m.schemaVersion != 2)
            return invalid("manifest schemaVersion {} is not supported", m.schemaVersion);
        m.mediaType = str(j, "mediaType");
        if (!j.contains("config")) return invalid("manifest has no config");
        m.config = TRY_CTX(parseDescriptor(j["config"]), "manifest config");
        if (auto it = j.find("layers"); it != j.end() && it->is_array())
            for (auto& l : *it) m.layers.push_back(TRY_CTX(parseDescriptor(l), "manifest layer"));
        m.annotations = strMap(j, "annotations");
        return m;
    });
}

Result<Index> parseIndex(std::string_view text) {
    return guarded("index", [&]() -> Result<Index> {
        auto j = json::parse(text);
        if (!j.is_object()) return invalid("index is not a JSON object");
        Index x;
        if (auto it = j.find("schemaVersion"); it != j.end() && it->is_number_integer())
            x.schemaVersion = *it;
        x.mediaType = str(j, "mediaType");
        if (auto it = j.find("manifests"); it != j.end() && it->is_array())
            for (auto& m : *it) x.manifests.push_back(TRY_CTX(parseDescriptor(m), "index entry"));
        x.annotations = strMap(j, "annotations");
        return x;
    });
}

Result<std::string> sniffMediaType(std::string_view text) {
    return guarded("manifest", [&]() -> Result<std::string> {
        auto j = json::parse(text);
        if (!j.is_object()) return invalid("manifest is not a JSON object");
        auto mt = str(j, "mediaType");
        if (!mt.empty()) return mt;
        if (j.contains("manifests")) return std::string(media::kOciIndex);
        if (j.contains("layers") && j.contains("config")) return std::string(media::kOciManifest);
        return invalid("unknown manifest kind (no mediaType, layers or manifests)");
    });
}

Result<ImageConfig> parseImageConfig(std::string_view text) {
    return guarded("image config", [&]() -> Result<ImageConfig> {
        auto j = json::parse(text);
        if (!j.is_object()) return invalid("image config is not a JSON object");
        ImageConfig c;
        c.created = str(j, "created");
        c.author = str(j, "author");
        c.architecture = str(j, "architecture");
        c.os = str(j, "os");
        c.variant = str(j, "variant");
        c.dockerVersion = str(j, "docker_version");
        c.comment = str(j, "comment");
        if (auto it = j.find("config"); it != j.end()) c.config = containerConfigFrom(*it);
        if (auto it = j.find("rootfs"); it != j.end() && it->is_object())
            for (auto& d : strList(*it, "diff_ids"))
                c.diffIds.push_back(TRY_CTX(Digest::parse(d), "image config diff_ids"));
        if (auto it = j.find("history"); it != j.end() && it->is_array())
            for (auto& h : *it) {
                if (!h.is_object()) continue;
                HistoryEntry e;
                e.created = str(h, "created");
                e.createdBy = str(h, "created_by");
                e.author = str(h, "author");
                e.comment = str(h, "comment");
                if (auto el = h.find("empty_layer"); el != h.end() && el->is_boolean())
                    e.emptyLayer = *el;
                c.history.push_back(e);
            }
        return c;
    });
}

std::string toJson(const Manifest& m) {
    json j = {{"schemaVersion", m.schemaVersion}};
    if (!m.mediaType.empty()) j["mediaType"] = m.mediaType;
    j["config"] = descriptorJson(m.config);
    json layers = json::array();
    for (auto& l : m.layers) layers.push_back(descriptorJson(l));
    j["layers"] = layers;
    if (!m.annotations.empty()) j["annotations"] = m.annotations;
    return j.dump();
}

std::string toJson(const Index& x) {
    json j = {{"schemaVersion", x.schemaVersion}};
    if (!x.mediaType.empty()) j["mediaType"] = x.mediaType;
    json ms = json::array();
    for (auto& m : x.manifests) ms.push_back(descriptorJson(m));
    j["manifests"] = ms;
    if (!x.annotations.empty()) j["annotations"] = x.annotations;
    return j.dump();
}

std::string toJson(const ImageConfig& c) {
    json j = {{"architecture", c.architecture}, {"os", c.os}};
    if (!c.created.empty()) j["created"] = c.created;
    if (!c.author.empty()) j["author"] = c.author;
    if (!c.variant.empty()) j["variant"] = c.variant;
    if (!c.dockerVersion.empty()) j["docker_version"] = c.dockerVersion;
    if (!c.comment.empty()) j["comment"] = c.comment;
    j["config"] = containerConfigToJson(c.config);
    json ids = json::array();
    for (auto& d : c.diffIds) ids.push_back(d.str());
    j["rootfs"] = {{"type", "layers"}, {"diff_ids", ids}};
    if (!c.history.empty()) {
        json hs = json::array();
        for (auto& h : c.history) {
            json e = json::object();
            if (!h.created.empty()) e["created"] = h.created;
            if (!h.createdBy.empty()) e["created_by"] = h.createdBy;
            if (!h.author.empty()) e["author"] = h.author;
            if (!h.comment.empty()) e["comment"] = h.comment;
            if (h.emptyLayer) e["empty_layer"] = true;
            hs.push_back(e);
        }
        j["history"] = hs;
    }
    return j.dump();
}

std::string containerConfigJson(const ContainerConfig& c) {
    return containerConfigToJson(c).dump();
}

Result<ContainerConfig> parseContainerConfig(std::string_view text) {
    return guarded("container config", [&]() -> Result<ContainerConfig> {
        return containerConfigFrom(json::parse(text));
    });
}

Result<Descriptor> pickPlatform(const Index& idx, std::string_view os, std::string_view arch) {
    std::string offered;
    for (auto& m : idx.manifests) {
        if (!m.platform) continue;
        if (m.platform->os == os && m.platform->architecture == arch) return m;
        offered += (offered.empty() ? "" : ", ") + m.platform->os + "/" + m.platform->architecture +
                   (m.platform->variant.empty() ? "" : "/" + m.platform->variant);
    }
    return makeError(ENOENT, "no matching manifest for {}/{} in the manifest list (offered: {})",
                     os, arch, offered.empty() ? "none" : offered);
}

std::string nowRfc3339() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    return fmt::format("{}.{:09d}Z", buf, ts.tv_nsec);
}

}  // namespace berth::image
