// Where the container's files come from: --mount (docker's MountOpt), -v binds and anonymous
// volumes, --tmpfs, and --device mappings.
#include "cli/verbs/container_opts_internal.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "cli/units.h"

namespace berth::cli {

using copts::split;
using nlohmann::json;

namespace {

bool validDeviceMode(std::string_view mode) {
    if (mode.empty()) return false;
    std::set<char> seen;
    for (char c : mode) {
        if (c != 'r' && c != 'w' && c != 'm') return false;
        if (!seen.insert(c).second) return false;
    }
    return true;
}

bool isVolumeMode(std::string_view m) {
    static const std::set<std::string, std::less<>> modes = {
        "ro",    "rw",     "z",       "Z",        "nocopy",    "shared", "rshared",
        "slave", "rslave", "private", "rprivate", "delegated", "cached", "consistent"};
    for (auto& p : split(m, ','))
        if (!modes.count(p)) return false;
    return true;
}

}  // namespace

namespace copts {

// --mount: docker's MountOpt.Set.
Result<json> parseMount(std::string_view value) {
    auto fields = TRY(csvFields(value));
    json m = {{"Type", "volume"}};
    json volOpts, bindOpts, tmpfsOpts, imgOpts;
    auto vol = [&]() -> json& {
        if (volOpts.is_null())
            volOpts = {{"Labels", json::object()}, {"DriverConfig", json::object()}};
        return volOpts;
    };
    auto bind = [&]() -> json& {
        if (bindOpts.is_null()) bindOpts = json::object();
        return bindOpts;
    };
    auto tmpfs = [&]() -> json& {
        if (tmpfsOpts.is_null()) tmpfsOpts = json::object();
        return tmpfsOpts;
    };
    bool readOnly = false;
    for (auto& field : fields) {
        auto eq = field.find('=');
        std::string key = lower(field.substr(0, eq));
        if (eq == std::string::npos) {
            if (key == "readonly" || key == "ro")
                readOnly = true;
            else if (key == "volume-nocopy")
                vol()["NoCopy"] = true;
            else if (key == "bind-nonrecursive")
                bind()["NonRecursive"] = true;
            else
                return invalid("invalid field '{}' must be a key=value pair", field);
            continue;
        }
        std::string val = field.substr(eq + 1);
        auto boolOf = [&](std::string_view what) -> Result<bool> {
            auto b = parseGoBool(val);
            if (!b) return invalid("invalid value for {}: {}", what, val);
            return *b;
        };
        if (key == "type") {
            m["Type"] = lower(val);
        } else if (key == "source" || key == "src") {
            m["Source"] = (val == "." || val.rfind("./", 0) == 0) ? absPath(val) : val;
        } else if (key == "target" || key == "dst" || key == "destination") {
            m["Target"] = val;
        } else if (key == "readonly" || key == "ro") {
            readOnly = TRY(boolOf(key));
        } else if (key == "consistency") {
            m["Consistency"] = lower(val);
        } else if (key == "bind-propagation") {
            bind()["Propagation"] = lower(val);
        } else if (key == "bind-nonrecursive") {
            bind()["NonRecursive"] = TRY(boolOf(key));
        } else if (key == "bind-recursive") {
            if (val == "disabled")
                bind()["NonRecursive"] = true;
            else if (val == "writable")
                bind()["ReadOnlyNonRecursive"] = true;
            else if (val == "readonly")
                bind()["ReadOnlyForceRecursive"] = true;
            else if (val != "enabled")
                return invalid(
                    "invalid value for {}: {} (must be \"enabled\", \"disabled\", "
                    "\"writable\", or \"readonly\")",
                    key, val);
        } else if (key == "volume-subpath") {
            vol()["Subpath"] = val;
        } else if (key == "volume-nocopy") {
            auto b = parseGoBool(val);
            if (!b) return invalid("invalid value for volume-nocopy: {}", val);
            vol()["NoCopy"] = *b;
        } else if (key == "volume-label") {
            auto e2 = val.find('=');
            std::string k = val.substr(0, e2);
            if (!k.empty()) vol()["Labels"][k] = e2 == std::string::npos ? "" : val.substr(e2 + 1);
        } else if (key == "volume-driver") {
            vol()["DriverConfig"]["Name"] = val;
        } else if (key == "volume-opt") {
            auto e2 = val.find('=');
            std::string k = val.substr(0, e2);
            json& opts = vol()["DriverConfig"]["Options"];
            if (opts.is_null()) opts = json::object();
            if (!k.empty()) opts[k] = e2 == std::string::npos ? "" : val.substr(e2 + 1);
        } else if (key == "image-subpath") {
            if (imgOpts.is_null()) imgOpts = json::object();
            imgOpts["Subpath"] = val;
        } else if (key == "tmpfs-size") {
            auto b = parseBytes(val);
            if (!b) return invalid("invalid value for {}: {}", key, val);
            tmpfs()["SizeBytes"] = *b;
        } else if (key == "tmpfs-mode") {
            char* end = nullptr;
            errno = 0;
            unsigned long mode = std::strtoul(val.c_str(), &end, 8);
            if (val.empty() || *end || errno || mode > 0xffffffffUL)
                return invalid("invalid value for {}: {}", key, val);
            tmpfs()["Mode"] = mode;
        } else {
            return invalid("unexpected key '{}' in '{}'", key, field);
        }
    }
    std::string type = m["Type"];
    if (type.empty()) return invalid("type is required");
    if (!m.contains("Target") || m["Target"].get<std::string>().empty())
        return invalid("target is required");
    auto mix = [&](const json& o, std::string_view what, std::string_view want) -> Status {
        if (!o.is_null() && type != want)
            return invalid("cannot mix '{}-*' options with mount type '{}'", what, type);
        return {};
    };
    TRY(mix(volOpts, "volume", "volume"));
    TRY(mix(imgOpts, "image", "image"));
    TRY(mix(bindOpts, "bind", "bind"));
    TRY(mix(tmpfsOpts, "tmpfs", "tmpfs"));
    if (!bindOpts.is_null()) {
        if (bindOpts.value("ReadOnlyNonRecursive", false) && !readOnly)
            return invalid(
                "option 'bind-recursive=writable' requires 'readonly' to be specified "
                "in conjunction");
        if (bindOpts.value("ReadOnlyForceRecursive", false)) {
            if (!readOnly)
                return invalid(
                    "option 'bind-recursive=readonly' requires 'readonly' to be "
                    "specified in conjunction");
            if (bindOpts.value("Propagation", "") != "rprivate")
                return invalid(
                    "option 'bind-recursive=readonly' requires "
                    "'bind-propagation=rprivate' to be specified in conjunction");
        }
    }
    if (readOnly) m["ReadOnly"] = true;
    if (!volOpts.is_null()) {
        if (volOpts["DriverConfig"].empty()) volOpts["DriverConfig"] = json::object();
        m["VolumeOptions"] = volOpts;
    }
    if (!bindOpts.is_null()) m["BindOptions"] = bindOpts;
    if (!tmpfsOpts.is_null()) m["TmpfsOptions"] = tmpfsOpts;
    if (!imgOpts.is_null()) m["ImageOptions"] = imgOpts;
    return m;
}

Status parseVolumes(const Flags& f, json& binds, json& volumes) {
    for (auto& v : f.l("volume")) {
        if (v.empty()) return invalid("invalid empty volume spec");
        auto parts = split(v, ':');
        bool anon = parts.size() == 1 || (parts.size() == 2 && isVolumeMode(parts[1]));
        if (anon) {
            volumes[v] = json::object();
            continue;
        }
        std::string host = v.substr(0, v.find(':')), rest = v.substr(v.find(':'));
        if (!host.empty() && host[0] != '/' && host[0] == '.') host = absPath(host);
        if (binds.is_null()) binds = json::array();
        binds.push_back(host + rest);
    }
    return {};
}

json tmpfsMap(const Flags& f) {
    json tmpfs = json::object();
    for (auto& t : f.l("tmpfs")) {
        auto c = t.find(':');
        tmpfs[t.substr(0, c)] = c == std::string::npos ? "" : t.substr(c + 1);
    }
    return tmpfs;
}

Result<json> devicesJson(const Flags& f) {
    json devices = json::array();
    for (auto& d : f.l("device")) {
        auto dm = TRY(parseDevice(d));
        devices.push_back({{"PathOnHost", dm.pathOnHost},
                           {"PathInContainer", dm.pathInContainer},
                           {"CgroupPermissions", dm.permissions}});
    }
    return devices;
}

}  // namespace copts

Result<DeviceMapping> parseDevice(std::string_view spec) {
    // validateLinuxPath first (docker validates, then parses).
    std::string val(spec);
    if (std::count(val.begin(), val.end(), ':') > 2) return invalid("bad format for path: {}", val);
    auto parts = split(val, ':');
    if (parts[0].empty()) return invalid("bad format for path: {}", val);
    std::string ctrPath;
    if (parts.size() == 1)
        ctrPath = parts[0];
    else if (parts.size() == 2)
        ctrPath = validDeviceMode(parts[1]) ? parts[0] : parts[1];
    else {
        ctrPath = parts[1];
        if (!validDeviceMode(parts[2])) return invalid("bad mode specified: {}", parts[2]);
    }
    if (ctrPath.empty() || ctrPath[0] != '/') return invalid("{} is not an absolute path", ctrPath);
    DeviceMapping d;
    d.permissions = "rwm";
    d.pathOnHost = parts[0];
    if (parts.size() == 3) {
        d.pathInContainer = parts[1];
        d.permissions = parts[2];
    } else if (parts.size() == 2) {
        if (validDeviceMode(parts[1]))
            d.permissions = parts[1];
        else
            d.pathInContainer = parts[1];
    }
    if (d.pathInContainer.empty()) d.pathInContainer = d.pathOnHost;
    return d;
}

}  // namespace berth::cli
