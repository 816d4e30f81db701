// docker's container flags -> /containers/create body. Field by field as docker/cli's
// cli/command/container/opts.go fills container.Config/HostConfig/NetworkingConfig, so berthd
// sees the same request from both CLIs (null vs [] included where the daemon may care).
#include "cli/verbs/container_opts.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace {

std::string lower(std::string_view s) {
    std::string r(s);
    for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        auto p = s.find(sep, start);
        out.emplace_back(s.substr(start, p == std::string_view::npos ? p : p - start));
        if (p == std::string_view::npos) break;
        start = p + 1;
    }
    return out;
}

// A flag value rejected as pflag rejects it: `invalid argument "v" for "-m, --memory" flag: why`.
Error flagError(const Flags& f, std::string_view name, std::string_view value,
                std::string_view why) {
    std::string q = "--" + std::string(name);
    for (auto& d : f.defs())
        if (d.name == name && d.shorthand) q = fmt::format("-{}, --{}", d.shorthand, name);
    return Error{kOptsFlagError,
                 fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, q, why), true};
}

bool isIp(std::string_view s, bool* v6 = nullptr) {
    std::string t(s);
    unsigned char buf[16];
    if (inet_pton(AF_INET, t.c_str(), buf) == 1) {
        if (v6) *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, t.c_str(), buf) == 1) {
        if (v6) *v6 = true;
        return true;
    }
    return false;
}

// Go's strconv.ParseUint(s, 10, bits) with its error text.
Result<uint64_t> parseUint(std::string_view s, int bits) {
    std::string t(s);
    bool digits = !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
    if (!digits) return invalid("strconv.ParseUint: parsing \"{}\": invalid syntax", t);
    errno = 0;
    unsigned long long v = std::strtoull(t.c_str(), nullptr, 10);
    uint64_t max = bits >= 64 ? UINT64_MAX : ((uint64_t{1} << bits) - 1);
    if (errno == ERANGE || v > max)
        return invalid("strconv.ParseUint: parsing \"{}\": value out of range", t);
    return static_cast<uint64_t>(v);
}

Result<int64_t> parseInt(std::string_view s) {
    std::string t(s);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end) return invalid("strconv.ParseInt: parsing \"{}\": invalid syntax", t);
    if (errno == ERANGE) return invalid("strconv.ParseInt: parsing \"{}\": value out of range", t);
    return static_cast<int64_t>(v);
}

Result<bool> parseGoBool(std::string_view v) {
    if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
    if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
        return false;
    return invalid("invalid bool");
}

// Go's net.ParseMAC for the common colon/dash forms.
bool isMac(std::string_view s) {
    static const std::regex re("^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$");
    return std::regex_match(std::string(s), re);
}

// pflag's duration flag: the value in nanoseconds, errors as pflag words them.
Result<int64_t> durationFlag(const Flags& f, std::string_view name) {
    const std::string& v = f.s(name);
    if (!f.changed(name) || v.empty()) return int64_t{0};
    auto ns = parseDurationNs(v);
    if (!ns) return flagError(f, name, v, ns.error().msg);
    return *ns;
}

Result<int64_t> bytesFlag(const Flags& f, std::string_view name, bool allowMinusOne) {
    const std::string& v = f.s(name);
    if (!f.changed(name) || v.empty()) return int64_t{0};
    if (allowMinusOne && v == "-1") return int64_t{-1};
    auto b = parseBytes(v);
    if (!b) return flagError(f, name, v, b.error().msg);
    return *b;
}

// csv.Reader's reading of one record (quotes allowed, as in --mount "src=a,b").
Result<std::vector<std::string>> csvFields(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, wasQuoted = false;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < s.size() && s[i + 1] == '"') {
                    cur += '"';
                    i++;
                } else {
                    quoted = false;
                }
            } else {
                cur += c;
            }
        } else if (c == '"' && cur.empty() && !wasQuoted) {
            quoted = wasQuoted = true;
        } else if (c == ',') {
            out.push_back(std::move(cur));
            cur.clear();
            wasQuoted = false;
        } else {
            cur += c;
        }
    }
    if (quoted)
        return invalid(
            "parse error on line 1, column {}: extraneous or missing \" in "
            "quoted-field",
            s.size() + 1);
    out.push_back(std::move(cur));
    return out;
}

std::string absPath(const std::string& p) {
    char buf[PATH_MAX];
    std::string cwd = ::getcwd(buf, sizeof buf) ? buf : ".";
    std::vector<std::string> parts;
    for (auto& seg : split(cwd + "/" + p, '/')) {
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(seg);
    }
    std::string out;
    for (auto& s : parts) out += "/" + s;
    return out.empty() ? "/" : out;
}

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

// --network: a name, or the advanced csv form "name=n,alias=a,ip=...".
struct NetAttach {
    std::string target;
    std::vector<std::string> aliases, links, linkLocalIps;
    std::string ipv4, ipv6, mac;
    std::map<std::string, std::string> driverOpts;
    int64_t gwPriority = 0;
};

Result<NetAttach> parseNetworkOpt(std::string_view value) {
    NetAttach n;
    if (value.find('=') == std::string_view::npos) {
        n.target = std::string(value);
        return n;
    }
    for (auto& field : TRY(csvFields(value))) {
        auto eq = field.find('=');
        if (eq == std::string::npos)
            return invalid("invalid field '{}' must be a key=value pair", field);
        std::string key = lower(trim(field.substr(0, eq))), val = trim(field.substr(eq + 1));
        if (key == "name")
            n.target = val;
        else if (key == "alias")
            n.aliases.push_back(val);
        else if (key == "ip")
            n.ipv4 = val;
        else if (key == "ip6")
            n.ipv6 = val;
        else if (key == "mac-address")
            n.mac = val;
        else if (key == "link-local-ip")
            n.linkLocalIps.push_back(val);
        else if (key == "driver-opt") {
            auto e2 = val.find('=');
            if (e2 == std::string::npos)
                return invalid("invalid key value pair format in driver options");
            n.driverOpts[val.substr(0, e2)] = val.substr(e2 + 1);
        } else if (key == "gw-priority") {
            auto p = parseInt(val);
            if (!p) return invalid("invalid gw-priority: {}", val);
            n.gwPriority = *p;
        } else
            return invalid("invalid field key {}", key);
    }
    return n;
}

bool userDefinedNetwork(std::string_view n) {
    return !(n.empty() || n == "default" || n == "bridge" || n == "host" || n == "none" ||
             n.rfind("container:", 0) == 0);
}

json endpointJson() {
    return {{"IPAMConfig", nullptr},   {"Links", nullptr},         {"Aliases", nullptr},
            {"MacAddress", ""},        {"DriverOpts", nullptr},    {"GwPriority", 0},
            {"NetworkID", ""},         {"EndpointID", ""},         {"Gateway", ""},
            {"IPAddress", ""},         {"IPPrefixLen", 0},         {"IPv6Gateway", ""},
            {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0}, {"DNSNames", nullptr}};
}

Result<json> endpointFor(const NetAttach& n) {
    if (trim(n.target).empty()) return invalid("no name set for network");
    if (!userDefinedNetwork(n.target)) {
        if (!n.aliases.empty())
            return invalid("network-scoped aliases are only supported for user-defined networks");
        if (!n.links.empty()) return invalid("links are only supported for user-defined networks");
    }
    json ep = endpointJson();
    ep["GwPriority"] = n.gwPriority;
    if (!n.aliases.empty()) ep["Aliases"] = n.aliases;
    if (!n.driverOpts.empty()) ep["DriverOpts"] = n.driverOpts;
    if (!n.links.empty()) ep["Links"] = n.links;
    if (!n.ipv4.empty() || !n.ipv6.empty() || !n.linkLocalIps.empty()) {
        json ipam = json::object();
        if (!n.ipv4.empty()) ipam["IPv4Address"] = n.ipv4;
        if (!n.ipv6.empty()) ipam["IPv6Address"] = n.ipv6;
        if (!n.linkLocalIps.empty()) ipam["LinkLocalIPs"] = n.linkLocalIps;
        ep["IPAMConfig"] = ipam;
    }
    if (!n.mac.empty()) {
        if (!isMac(trim(n.mac))) return invalid("{} is not a valid mac address", n.mac);
        ep["MacAddress"] = lower(trim(n.mac));
    }
    return ep;
}

bool endpointIsEmpty(const json& ep) {
    return ep == endpointJson();
}

// Client-side checks of list flags (pflag runs these as each value is set).
Status validateListFlags(const Flags& f) {
    for (auto& v : f.l("attach")) {
        std::string s = lower(v);
        if (s != "stdin" && s != "stdout" && s != "stderr")
            return flagError(f, "attach", v, "valid streams are STDIN, STDOUT and STDERR");
    }
    for (auto& v : f.l("dns"))
        if (!isIp(trim(v)))
            return flagError(f, "dns", v, "IP address is not correctly formatted: " + v);
    static const std::regex domainRe(
        "^(:?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])\\.)*([A-Za-z0-9]|[A-Za-z0-9]"
        "[A-Za-z0-9\\-]*[A-Za-z0-9]))$");
    for (auto& v : f.l("dns-search")) {
        if (v == ".") continue;
        std::string d = v;
        if (!d.empty() && d.back() == '.') d.pop_back();
        if (d.size() > 255 || !std::regex_match(d, domainRe))
            return flagError(f, "dns-search", v, v + " is not a valid domain");
    }
    static const std::regex ruleRe("^[acb] ([0-9]+|\\*):([0-9]+|\\*) [rwm]{1,3}$");
    for (auto& v : f.l("device-cgroup-rule"))
        if (!std::regex_match(v, ruleRe))
            return flagError(f, "device-cgroup-rule", v,
                             fmt::format("invalid device cgroup format '{}'", v));
    for (auto& v : f.l("label"))
        if (trim(v.substr(0, v.find('='))).empty())
            return flagError(f, "label", v, fmt::format("invalid label '{}': empty name", v));
    for (auto& v : f.l("link"))
        if (split(v, ':').size() > 2 || v.empty())
            return flagError(f, "link", v, "bad format for links: " + v);
    for (auto& v : f.l("env"))
        if (auto e = validateEnv(v); !e) return flagError(f, "env", v, e.error().msg);
    for (auto& v : f.l("add-host")) {
        auto sep = v.find('=');
        if (sep == std::string::npos) sep = v.find(':');
        if (sep == std::string::npos || sep == 0)
            return flagError(f, "add-host", v, fmt::format("bad format for add-host: \"{}\"", v));
        std::string ip = v.substr(sep + 1);
        if (ip.size() > 1 && ip.front() == '[' && ip.back() == ']')
            ip = ip.substr(1, ip.size() - 2);
        if (ip != "host-gateway" && !isIp(ip))
            return flagError(f, "add-host", v,
                             fmt::format("invalid IP address in add-host: \"{}\"", ip));
    }
    static const std::set<std::string> sysctlNames = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (auto& v : f.l("sysctl")) {
        std::string k = v.substr(0, v.find('='));
        bool ok =
            v.find('=') != std::string::npos &&
            (sysctlNames.count(k) || k.rfind("fs.mqueue.", 0) == 0 || k.rfind("net.", 0) == 0);
        if (!ok) return flagError(f, "sysctl", v, fmt::format("sysctl '{}' is not allowed", v));
    }
    for (auto& v : f.l("ulimit"))
        if (auto u = parseUlimit(v); !u) return flagError(f, "ulimit", v, u.error().msg);
    for (auto& v : f.l("mount"))
        if (auto m = parseMount(v); !m) return flagError(f, "mount", v, m.error().msg);
    for (auto* name : {"network", "net"})
        for (auto& v : f.l(name))
            if (auto n = parseNetworkOpt(v); !n) return flagError(f, name, v, n.error().msg);
    return {};
}

// Go's map-of-strings from "k=v" (a bare "k" maps to "").
json kvMap(const std::vector<std::string>& kvs) {
    json m = json::object();
    for (auto& kv : kvs) {
        auto eq = kv.find('=');
        m[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    return m;
}

std::string normalizeCap(std::string_view c) {
    std::string s = upper(trim(c));
    if (s == "ALL") return s;
    if (s.rfind("CAP_", 0) != 0) s = "CAP_" + s;
    return s;
}

// docker's EffectiveCapAddCapDrop: normalised, sorted, added caps are not dropped.
void effectiveCaps(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                   json& capAdd, json& capDrop) {
    std::set<std::string> a, d;
    for (auto& c : add) a.insert(normalizeCap(c));
    for (auto& c : drop) {
        std::string n = normalizeCap(c);
        if (!a.count(n)) d.insert(n);
    }
    capAdd = a.empty() ? json(nullptr) : json(std::vector<std::string>(a.begin(), a.end()));
    capDrop = d.empty() ? json(nullptr) : json(std::vector<std::string>(d.begin(), d.end()));
}

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

// pid/uts/userns/cgroupns/ipc mode validity as container.*Mode.Valid().
bool validNsMode(std::string_view kind, std::string_view v) {
    if (v.empty()) return true;
    if (kind == "pid") return v == "host" || (v.rfind("container:", 0) == 0 && v.size() > 10);
    if (kind == "uts") return v == "host";
    if (kind == "userns") return v == "host";
    if (kind == "cgroupns") return v == "host" || v == "private";
    return true;
}

}  // namespace

// --- Public parsers ---

Result<std::string> validateEnv(std::string_view v) {
    auto eq = v.find('=');
    std::string k(v.substr(0, eq));
    if (k.empty()) return invalid("invalid environment variable: {}", v);
    if (eq != std::string_view::npos) return std::string(v);
    if (const char* e = std::getenv(k.c_str())) return k + "=" + e;
    return std::string(v);
}

Result<std::vector<std::string>> readEnvFile(const std::string& path, bool lookupEnv) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int e = errno;
        return invalid("open {}: {}", path,
                       e == ENOENT ? "no such file or directory" : lower(std::strerror(e)));
    }
    std::vector<std::string> out;
    std::string line;
    bool first = true;
    int lineNo = 0;
    while (std::getline(in, line)) {
        lineNo++;
        if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
        first = false;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        size_t s = 0;
        while (s < line.size() && std::isspace(static_cast<unsigned char>(line[s]))) s++;
        std::string l = line.substr(s);
        if (l.empty() || l[0] == '#') continue;
        auto eq = l.find('=');
        std::string var = l.substr(0, eq);
        if (var.empty()) return invalid("no variable name on line '{}'", l);
        if (var.find_first_of(" \t") != std::string::npos)
            return invalid("variable '{}' contains whitespaces", var);
        if (eq != std::string::npos) {
            out.push_back(l);
        } else if (const char* e = lookupEnv ? std::getenv(var.c_str()) : nullptr) {
            out.push_back(var + "=" + e);
        } else {
            out.push_back(var);
        }
    }
    (void)lineNo;
    return out;
}

Result<int64_t> parseNanoCpus(std::string_view v) {
    // A rational number as big.Rat reads it: [-]digits[.digits] or a/b.
    static const std::regex dec("^([+-]?)([0-9]*)(?:\\.([0-9]*))?$");
    std::smatch m;
    std::string s(v);
    auto bad = [&] { return invalid("failed to parse {} as a rational number", s); };
    if (s.empty() || s == "." || !std::regex_match(s, m, dec)) {
        auto slash = s.find('/');
        if (slash == std::string::npos) return bad();
        auto a = parseInt(s.substr(0, slash));
        auto b = parseInt(s.substr(slash + 1));
        if (!a || !b || *b == 0) return bad();
        __int128 n = static_cast<__int128>(*a) * 1000000000;
        if (n % *b != 0) return invalid("value is too precise");
        return static_cast<int64_t>(n / *b);
    }
    std::string ip = m[2], fp = m[3];
    if (ip.empty() && fp.empty()) return bad();
    if (fp.size() > 9) {
        if (fp.find_first_not_of('0', 9) != std::string::npos)
            return invalid("value is too precise");
        fp.resize(9);
    }
    fp.resize(9, '0');
    __int128 n = 0;
    for (char c : ip + fp) {
        n = n * 10 + (c - '0');
        if (n > INT64_MAX) return bad();
    }
    if (m[1] == "-") n = -n;
    return static_cast<int64_t>(n);
}

Result<int64_t> parseDurationNs(std::string_view v) {
    auto secs = TRY(parseDurationSeconds(v));
    return static_cast<int64_t>(secs * 1e9 + (secs >= 0 ? 0.5 : -0.5));
}

Result<Ulimit> parseUlimit(std::string_view spec) {
    static const std::set<std::string, std::less<>> names = {
        "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
        "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) return invalid("invalid ulimit argument: {}", spec);
    Ulimit u;
    u.name = std::string(spec.substr(0, eq));
    if (!names.count(u.name)) return invalid("invalid ulimit type: {}", u.name);
    auto vals = split(spec.substr(eq + 1), ':');
    if (vals.size() > 2)
        return invalid(
            "too many limit value arguments - {}, can only have up to two, "
            "`soft[:hard]`",
            spec.substr(eq + 1));
    u.soft = TRY(parseInt(vals[0]));
    u.hard = vals.size() == 2 ? TRY(parseInt(vals[1])) : u.soft;
    if (u.soft > u.hard)
        return invalid("ulimit soft limit must be less than or equal to hard limit: {} > {}",
                       u.soft, u.hard);
    return u;
}

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

namespace {

struct PortRange {
    uint64_t start = 0, end = 0;
};

Result<PortRange> portRange(std::string_view s) {
    if (s.empty()) return invalid("empty string specified for ports");
    auto dash = s.find('-');
    if (dash == std::string_view::npos) {
        auto p = TRY(parseUint(s, 16));
        return PortRange{p, p};
    }
    auto a = TRY(parseUint(s.substr(0, dash), 16));
    auto b = TRY(parseUint(s.substr(dash + 1), 16));
    if (b < a) return invalid("invalid range specified for container and host Ports: {}", s);
    return PortRange{a, b};
}

// nat.SplitProtoPort
std::pair<std::string, std::string> splitProtoPort(std::string_view raw) {
    auto parts = split(raw, '/');
    if (raw.empty() || parts[0].empty()) return {"", ""};
    if (parts.size() == 1) return {"tcp", std::string(raw)};
    if (parts[1].empty()) return {"tcp", parts[0]};
    return {parts[1], parts[0]};
}

}  // namespace

Status parsePublish(const std::vector<std::string>& specs, std::map<std::string, int>& exposed,
                    std::map<std::string, std::vector<PortBinding>>& bindings) {
    for (auto& spec0 : specs) {
        std::string spec = spec0;
        if (spec.find('=') != std::string::npos) {
            std::map<std::string, std::string> params{{"protocol", "tcp"}};
            for (auto& p : split(spec, ',')) {
                auto eq = p.find('=');
                if (eq == std::string::npos || eq == 0)
                    return invalid(
                        "invalid publish opts format (should be name=value but got "
                        "'{}')",
                        p);
                params[p.substr(0, eq)] = p.substr(eq + 1);
            }
            spec = params["published"] + ":" + params["target"] + "/" + params["protocol"];
        }
        auto parts = split(spec, ':');
        size_t n = parts.size();
        std::string ip, hostPort, ctr = parts[n - 1];
        if (n == 2) hostPort = parts[0];
        if (n == 3) {
            ip = parts[0];
            hostPort = parts[1];
        }
        if (n > 3) {
            for (size_t i = 0; i + 2 < n; i++) ip += (i ? ":" : "") + parts[i];
            hostPort = parts[n - 2];
        }
        auto [proto, ctrPort] = splitProtoPort(ctr);
        if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']')
            ip = ip.substr(1, ip.size() - 2);
        if (!ip.empty() && !isIp(ip)) return invalid("invalid IP address: {}", ip);
        if (ctrPort.empty()) return invalid("no port specified: {}<empty>", spec);
        auto cr = portRange(ctrPort);
        if (!cr) return invalid("invalid containerPort: {}", ctrPort);
        PortRange hr;
        if (!hostPort.empty()) {
            auto h = portRange(hostPort);
            if (!h) return invalid("invalid hostPort: {}", hostPort);
            hr = *h;
            if (hr.end - hr.start != cr->end - cr->start && cr->end != cr->start)
                return invalid("invalid ranges specified for container and host Ports: {} and {}",
                               ctrPort, hostPort);
        }
        std::string pl = lower(proto);
        if (pl != "tcp" && pl != "udp" && pl != "sctp") return invalid("invalid proto: {}", proto);
        for (uint64_t i = 0; i <= cr->end - cr->start; i++) {
            std::string port = std::to_string(cr->start + i) + "/" + pl;
            std::string hp;
            if (!hostPort.empty()) {
                hp = std::to_string(hr.start + i);
                if (cr->start == cr->end && hr.start != hr.end)
                    hp = fmt::format("{}-{}", hr.start, hr.end);
            }
            exposed[port] = 1;
            bindings[port].push_back({ip, hp});
        }
    }
    return {};
}

Result<std::vector<std::string>> parseExpose(std::string_view spec) {
    auto [proto, ports] = splitProtoPort(spec);
    auto r = portRange(ports);
    if (!r) return invalid("invalid range format for --expose: {}, error: {}", spec, r.error().msg);
    std::vector<std::string> out;
    for (uint64_t p = r->start; p <= r->end; p++)
        out.push_back(fmt::format("{}/{}", p, lower(proto)));
    return out;
}

// --- Flags ---

void defineContainerFlags(Flags& f, bool run) {
    f.list("add-host", 0, "Add a custom host-to-IP mapping (host:ip)");
    f.list("annotation", 0,
           "Add an annotation to the container (passed through to the OCI runtime) (default "
           "map[])",
           "map");
    f.list("attach", 'a', "Attach to STDIN, STDOUT or STDERR");
    f.uinteger("blkio-weight", 0, 0,
               "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
               "uint16");
    f.list("blkio-weight-device", 0, "Block IO weight (relative device weight) (default [])");
    f.list("cap-add", 0, "Add Linux capabilities");
    f.list("cap-drop", 0, "Drop Linux capabilities");
    f.string("cgroup-parent", 0, "", "Optional parent cgroup for the container");
    f.string("cgroupns", 0, "",
             "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker "
             "host's cgroup namespace\n'private': Run the container in its own private cgroup "
             "namespace\n'':        Use the cgroup namespace as configured by the\n           "
             "default-cgroupns-mode option on the daemon (default)");
    f.string("cidfile", 0, "", "Write the container ID to the file");
    f.integer("cpu-count", 0, 0, "CPU count (Windows only)");
    f.integer("cpu-percent", 0, 0, "CPU percent (Windows only)");
    f.integer("cpu-period", 0, 0, "Limit CPU CFS (Completely Fair Scheduler) period");
    f.integer("cpu-quota", 0, 0, "Limit CPU CFS (Completely Fair Scheduler) quota");
    f.integer("cpu-rt-period", 0, 0, "Limit CPU real-time period in microseconds");
    f.integer("cpu-rt-runtime", 0, 0, "Limit CPU real-time runtime in microseconds");
    f.integer("cpu-shares", 'c', 0, "CPU shares (relative weight)");
    f.string("cpus", 0, "", "Number of CPUs", "decimal");
    f.string("cpuset-cpus", 0, "", "CPUs in which to allow execution (0-3, 0,1)");
    f.string("cpuset-mems", 0, "", "MEMs in which to allow execution (0-3, 0,1)");
    if (run) {
        f.boolean("detach", 'd', "Run container in background and print container ID");
        f.string("detach-keys", 0, "", "Override the key sequence for detaching a container");
    }
    f.list("device", 0, "Add a host device to the container");
    f.list("device-cgroup-rule", 0, "Add a rule to the cgroup allowed devices list");
    f.list("device-read-bps", 0, "Limit read rate (bytes per second) from a device (default [])");
    f.list("device-read-iops", 0, "Limit read rate (IO per second) from a device (default [])");
    f.list("device-write-bps", 0, "Limit write rate (bytes per second) to a device (default [])");
    f.list("device-write-iops", 0, "Limit write rate (IO per second) to a device (default [])");
    f.boolean("disable-content-trust", 0, "Skip image verification", true);
    f.list("dns", 0, "Set custom DNS servers");
    f.list("dns-opt", 0, "Set DNS options").hide();
    f.list("dns-option", 0, "Set DNS options");
    f.list("dns-search", 0, "Set custom DNS search domains");
    f.string("domainname", 0, "", "Container NIS domain name");
    f.string("entrypoint", 0, "", "Overwrite the default ENTRYPOINT of the image");
    f.list("env", 'e', "Set environment variables");
    f.list("env-file", 0, "Read in a file of environment variables");
    f.list("expose", 0, "Expose a port or a range of ports");
    f.string("gpus", 0, "", "GPU devices to add to the container ('all' to pass all GPUs)",
             "gpu-request");
    f.list("group-add", 0, "Add additional groups to join");
    f.string("health-cmd", 0, "", "Command to run to check health");
    f.string("health-interval", 0, "", "Time between running the check (ms|s|m|h) (default 0s)",
             "duration");
    f.integer("health-retries", 0, 0, "Consecutive failures needed to report unhealthy");
    f.string("health-start-interval", 0, "",
             "Time between running the check during the start period (ms|s|m|h) (default 0s)",
             "duration");
    f.string("health-start-period", 0, "",
             "Start period for the container to initialize before starting health-retries "
             "countdown (ms|s|m|h) (default 0s)",
             "duration");
    f.string("health-timeout", 0, "",
             "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", "duration");
    f.string("hostname", 'h', "", "Container host name");
    f.boolean("init", 0,
              "Run an init inside the container that forwards signals and reaps processes");
    f.boolean("interactive", 'i', "Keep STDIN open even if not attached");
    f.string("io-maxbandwidth", 0, "",
             "Maximum IO bandwidth limit for the system drive (Windows only)", "bytes");
    f.uinteger("io-maxiops", 0, 0, "Maximum IOps limit for the system drive (Windows only)");
    f.string("ip", 0, "", "IPv4 address (e.g., 172.30.100.104)");
    f.string("ip6", 0, "", "IPv6 address (e.g., 2001:db8::33)");
    f.string("ipc", 0, "", "IPC mode to use");
    f.string("isolation", 0, "", "Container isolation technology");
    f.string("kernel-memory", 0, "", "Kernel memory limit", "bytes");
    f.list("label", 'l', "Set meta data on a container");
    f.list("label-file", 0, "Read in a line delimited file of labels");
    f.list("link", 0, "Add link to another container");
    f.list("link-local-ip", 0, "Container IPv4/IPv6 link-local addresses");
    f.string("log-driver", 0, "", "Logging driver for the container");
    f.list("log-opt", 0, "Log driver options");
    f.string("mac-address", 0, "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
    f.string("memory", 'm', "", "Memory limit", "bytes");
    f.string("memory-reservation", 0, "", "Memory soft limit", "bytes");
    f.string("memory-swap", 0, "",
             "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", "bytes");
    f.integer("memory-swappiness", 0, -1, "Tune container memory swappiness (0 to 100)");
    f.list("mount", 0, "Attach a filesystem mount to the container", "mount");
    f.string("name", 0, "", "Assign a name to the container");
    f.list("net", 0, "Connect a container to a network", "network").hide();
    f.list("net-alias", 0, "Add network-scoped alias for the container").hide();
    f.list("network", 0, "Connect a container to a network", "network");
    f.list("network-alias", 0, "Add network-scoped alias for the container");
    f.boolean("no-healthcheck", 0, "Disable any container-specified HEALTHCHECK");
    f.boolean("oom-kill-disable", 0, "Disable OOM Killer");
    f.integer("oom-score-adj", 0, 0, "Tune host's OOM preferences (-1000 to 1000)");
    f.string("pid", 0, "", "PID namespace to use");
    f.integer("pids-limit", 0, 0, "Tune container pids limit (set -1 for unlimited)");
    f.string("platform", 0, "", "Set platform if server is multi-platform capable");
    f.boolean("privileged", 0, "Give extended privileges to this container");
    f.list("publish", 'p', "Publish a container's port(s) to the host");
    f.boolean("publish-all", 'P', "Publish all exposed ports to random ports");
    f.string("pull", 0, "missing",
             run ? "Pull image before running (\"always\", \"missing\", \"never\")"
                 : "Pull image before creating (\"always\", \"|missing\", \"never\")");
    f.boolean("quiet", 'q', "Suppress the pull output");
    f.boolean("read-only", 0, "Mount the container's root filesystem as read only");
    f.string("restart", 0, "no", "Restart policy to apply when a container exits");
    f.boolean("rm", 0,
              "Automatically remove the container and its associated anonymous volumes when it "
              "exits");
    f.string("runtime", 0, "", "Runtime to use for this container");
    f.list("security-opt", 0, "Security Options");
    f.string("shm-size", 0, "", "Size of /dev/shm", "bytes");
    if (run) f.boolean("sig-proxy", 0, "Proxy received signals to the process", true);
    f.string("stop-signal", 0, "", "Signal to stop the container");
    f.integer("stop-timeout", 0, 0, "Timeout (in seconds) to stop a container");
    f.list("storage-opt", 0, "Storage driver options for the container");
    f.list("sysctl", 0, "Sysctl options (default map[])", "map");
    f.list("tmpfs", 0, "Mount a tmpfs directory");
    f.boolean("tty", 't', "Allocate a pseudo-TTY");
    f.list("ulimit", 0, "Ulimit options (default [])", "ulimit");
    f.boolean("use-api-socket", 0, "Bind mount Docker API socket and required auth");
    f.string("user", 'u', "", "Username or UID (format: <name|uid>[:<group|gid>])");
    f.string("userns", 0, "", "User namespace to use");
    f.string("uts", 0, "", "UTS namespace to use");
    f.list("volume", 'v', "Bind mount a volume");
    f.string("volume-driver", 0, "", "Optional volume driver for the container");
    f.list("volumes-from", 0, "Mount volumes from the specified container(s)");
    f.string("workdir", 'w', "", "Working directory inside the container");
}

// --- The create body ---

Result<ContainerSpec> parseContainerOpts(const Flags& f) {
    ContainerSpec spec;
    const auto& args = f.args();
    spec.image = args.at(0);
    spec.cmd.assign(args.begin() + 1, args.end());

    // Flag-level checks first: pflag rejects these while parsing, before anything else.
    TRY(validateListFlags(f));
    int64_t memory = TRY(bytesFlag(f, "memory", false));
    int64_t memoryReservation = TRY(bytesFlag(f, "memory-reservation", false));
    int64_t memorySwap = TRY(bytesFlag(f, "memory-swap", true));
    int64_t shmSize = TRY(bytesFlag(f, "shm-size", false));
    int64_t ioMaxBandwidth = TRY(bytesFlag(f, "io-maxbandwidth", false));
    (void)TRY(bytesFlag(f, "kernel-memory", false));
    int64_t nanoCpus = 0;
    if (f.changed("cpus") && !f.s("cpus").empty()) {
        auto n = parseNanoCpus(f.s("cpus"));
        if (!n) return flagError(f, "cpus", f.s("cpus"), n.error().msg);
        nanoCpus = *n;
    }
    int64_t healthInterval = TRY(durationFlag(f, "health-interval"));
    int64_t healthTimeout = TRY(durationFlag(f, "health-timeout"));
    int64_t healthStartPeriod = TRY(durationFlag(f, "health-start-period"));
    int64_t healthStartInterval = TRY(durationFlag(f, "health-start-interval"));
    if (f.u("blkio-weight") > 65535)
        return flagError(f, "blkio-weight", std::to_string(f.u("blkio-weight")),
                         fmt::format("strconv.ParseUint: parsing \"{}\": value out of range",
                                     f.u("blkio-weight")));

    // parse() proper: these print as "berth: <msg>".
    spec.name = f.s("name");
    spec.platform = f.s("platform");
    spec.pull = f.s("pull");
    spec.quiet = f.b("quiet");
    spec.cidfile = f.s("cidfile");
    if (spec.pull != "always" && spec.pull != "missing" && spec.pull != "never")
        return invalid(
            "invalid pull option: '{}': must be one of \"always\", \"missing\" or "
            "\"never\"",
            spec.pull);

    for (auto& a : f.l("attach")) spec.attach.push_back(lower(a));
    auto attached = [&](std::string_view s) {
        return std::find(spec.attach.begin(), spec.attach.end(), s) != spec.attach.end();
    };
    spec.attachStdin = attached("stdin") || f.b("interactive");
    spec.attachStdout = attached("stdout") || spec.attach.empty();
    spec.attachStderr = attached("stderr") || spec.attach.empty();
    spec.tty = f.b("tty");
    spec.openStdin = f.b("interactive");
    spec.autoRemove = f.b("rm");

    if (!f.s("mac-address").empty() && !isMac(trim(f.s("mac-address"))))
        return invalid("{} is not a valid mac address", f.s("mac-address"));
    int64_t swappiness = f.i("memory-swappiness");
    if (swappiness != -1 && (swappiness < 0 || swappiness > 100))
        return invalid("invalid value: {}. Valid memory swappiness range is 0-100", swappiness);

    // -v: binds (with a source) or anonymous volumes.
    json binds = nullptr, volumes = json::object();
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

    json tmpfs = json::object();
    for (auto& t : f.l("tmpfs")) {
        auto c = t.find(':');
        tmpfs[t.substr(0, c)] = c == std::string::npos ? "" : t.substr(c + 1);
    }

    json cmd = spec.cmd.empty() ? json(nullptr) : json(spec.cmd);
    json entrypoint = nullptr;
    if (!f.s("entrypoint").empty())
        entrypoint = json::array({f.s("entrypoint")});
    else if (f.changed("entrypoint"))
        entrypoint = json::array({""});

    std::map<std::string, int> exposed;
    std::map<std::string, std::vector<PortBinding>> portBindings;
    TRY(parsePublish(f.l("publish"), exposed, portBindings));
    for (auto& e : f.l("expose"))
        for (auto& p : TRY(parseExpose(e))) exposed[p] = 1;

    json devices = json::array();
    for (auto& d : f.l("device")) {
        auto dm = TRY(parseDevice(d));
        devices.push_back({{"PathOnHost", dm.pathOnHost},
                           {"PathInContainer", dm.pathInContainer},
                           {"CgroupPermissions", dm.permissions}});
    }

    std::vector<std::string> env;
    for (auto& file : f.l("env-file"))
        for (auto& l : TRY(readEnvFile(file, true))) env.push_back(l);
    for (auto& e : f.l("env")) env.push_back(TRY(validateEnv(e)));
    std::vector<std::string> labels;
    for (auto& file : f.l("label-file"))
        for (auto& l : TRY(readEnvFile(file, false))) labels.push_back(l);
    for (auto& l : f.l("label")) labels.push_back(l);

    if (!validNsMode("pid", f.s("pid"))) return invalid("--pid: invalid PID mode");
    if (!validNsMode("uts", f.s("uts"))) return invalid("--uts: invalid UTS mode");
    if (!validNsMode("userns", f.s("userns"))) return invalid("--userns: invalid USER mode");
    if (!validNsMode("cgroupns", f.s("cgroupns")))
        return invalid("--cgroupns: invalid CGROUP mode");

    // --restart: opts.ParseRestartPolicy.
    json restart = {{"Name", "no"}, {"MaximumRetryCount", 0}};
    {
        const std::string& r = f.s("restart");
        auto c = r.find(':');
        std::string name = r.substr(0, c);
        if (name.empty() && !r.empty())
            return invalid("invalid restart policy format: no policy provided before colon");
        if (!name.empty()) restart["Name"] = name;
        if (c != std::string::npos) {
            auto n = parseInt(r.substr(c + 1));
            if (!n)
                return invalid(
                    "invalid restart policy format: maximum retry count must be an integer");
            restart["MaximumRetryCount"] = *n;
        }
    }

    json logOpts = kvMap(f.l("log-opt"));
    if (f.s("log-driver") == "none" && !f.l("log-opt").empty())
        return invalid("invalid logging opts for driver none");

    json securityOpt = f.l("security-opt").empty() ? json(nullptr) : json::array();
    json maskedPaths = nullptr, readonlyPaths = nullptr;
    for (auto& o : f.l("security-opt")) {
        auto eq = o.find('=');
        if (eq == std::string::npos && o != "no-new-privileges") eq = o.find(':');
        std::string k = o.substr(0, eq), v = eq == std::string::npos ? "" : o.substr(eq + 1);
        if ((eq == std::string::npos || v.empty()) && k != "no-new-privileges")
            return invalid("Invalid --security-opt: \"{}\"", o);
        std::string entry = o;
        if (k == "seccomp" && v != "builtin" && v != "unconfined") {
            std::ifstream in(v);
            if (!in)
                return invalid(
                    "opening seccomp profile ({}) failed: open {}: no such file or "
                    "directory",
                    v, v);
            std::stringstream ss;
            ss << in.rdbuf();
            auto prof = json::parse(ss.str(), nullptr, false);
            if (prof.is_discarded())
                return invalid("compacting json for seccomp profile ({}) failed: invalid JSON", v);
            entry = "seccomp=" + prof.dump();
        }
        if (o == "systempaths=unconfined") {
            maskedPaths = json::array();
            readonlyPaths = json::array();
            continue;
        }
        securityOpt.push_back(entry);
    }

    json storageOpt = nullptr;
    for (auto& o : f.l("storage-opt")) {
        auto eq = o.find('=');
        if (eq == std::string::npos) return invalid("invalid storage option");
        if (storageOpt.is_null()) storageOpt = json::object();
        storageOpt[o.substr(0, eq)] = o.substr(eq + 1);
    }

    // Healthcheck.
    json health = nullptr;
    bool haveHealth = !f.s("health-cmd").empty() || healthInterval || healthTimeout ||
                      healthStartPeriod || f.i("health-retries") || healthStartInterval;
    if (f.b("no-healthcheck")) {
        if (haveHealth) return invalid("--no-healthcheck conflicts with --health-* options");
        health = {{"Test", {"NONE"}}};
    } else if (haveHealth) {
        if (healthInterval < 0) return invalid("--health-interval cannot be negative");
        if (healthTimeout < 0) return invalid("--health-timeout cannot be negative");
        if (f.i("health-retries") < 0) return invalid("--health-retries cannot be negative");
        if (healthStartPeriod < 0) return invalid("--health-start-period cannot be negative");
        if (healthStartInterval < 0) return invalid("--health-start-interval cannot be negative");
        health = json::object();
        if (!f.s("health-cmd").empty()) health["Test"] = {"CMD-SHELL", f.s("health-cmd")};
        if (healthInterval) health["Interval"] = healthInterval;
        if (healthTimeout) health["Timeout"] = healthTimeout;
        if (healthStartPeriod) health["StartPeriod"] = healthStartPeriod;
        if (healthStartInterval) health["StartInterval"] = healthStartInterval;
        if (f.i("health-retries")) health["Retries"] = f.i("health-retries");
    }

    json ulimits = json::array();
    {
        std::map<std::string, Ulimit> byName;  // later flags replace earlier ones, as docker's
        for (auto& u : f.l("ulimit")) {
            auto ul = TRY(parseUlimit(u));
            byName[ul.name] = ul;
        }
        for (auto& [n, u] : byName)
            ulimits.push_back({{"Name", u.name}, {"Hard", u.hard}, {"Soft", u.soft}});
    }

    json mounts = nullptr;
    for (auto& m : f.l("mount")) {
        if (mounts.is_null()) mounts = json::array();
        mounts.push_back(TRY(parseMount(m)));
    }

    json sysctls = nullptr;
    if (!f.l("sysctl").empty()) sysctls = kvMap(f.l("sysctl"));
    json annotations = nullptr;
    if (!f.l("annotation").empty()) annotations = kvMap(f.l("annotation"));

    // Config.
    json config = {
        {"Hostname", f.s("hostname")},
        {"Domainname", f.s("domainname")},
        {"User", f.s("user")},
        {"AttachStdin", spec.attachStdin},
        {"AttachStdout", spec.attachStdout},
        {"AttachStderr", spec.attachStderr},
        {"Tty", spec.tty},
        {"OpenStdin", spec.openStdin},
        {"StdinOnce", spec.openStdin && spec.attachStdin},
        {"Env", env.empty() ? json(nullptr) : json(env)},
        {"Cmd", cmd},
        {"Image", spec.image},
        {"Volumes", volumes},
        {"WorkingDir", f.s("workdir")},
        {"Entrypoint", entrypoint},
        {"OnBuild", nullptr},
        {"Labels", kvMap(labels)},
    };
    if (!exposed.empty()) {
        json ep = json::object();
        for (auto& [p, _] : exposed) ep[p] = json::object();
        config["ExposedPorts"] = ep;
    }
    if (!health.is_null()) config["Healthcheck"] = health;
    if (!f.s("stop-signal").empty()) config["StopSignal"] = f.s("stop-signal");
    if (f.changed("stop-timeout")) config["StopTimeout"] = f.i("stop-timeout");

    // NetworkingConfig.
    std::vector<NetAttach> nets;
    for (auto* name : {"net", "network"})
        for (auto& v : f.l(name)) nets.push_back(*parseNetworkOpt(v));
    std::vector<std::string> aliases = f.l("network-alias");
    for (auto& a : f.l("net-alias")) aliases.push_back(a);
    auto applyLegacy = [&](NetAttach& n) -> Status {
        if (!n.aliases.empty() && !aliases.empty())
            return invalid(
                "conflicting options: cannot specify both --network-alias and "
                "per-network alias");
        if (!n.ipv4.empty() && !f.s("ip").empty())
            return invalid(
                "conflicting options: cannot specify both --ip and per-network IPv4 "
                "address");
        if (!n.ipv6.empty() && !f.s("ip6").empty())
            return invalid(
                "conflicting options: cannot specify both --ip6 and per-network IPv6 "
                "address");
        if (!n.mac.empty() && !f.s("mac-address").empty())
            return invalid(
                "conflicting options: cannot specify both --mac-address and "
                "per-network MAC address");
        if (!aliases.empty()) n.aliases = aliases;
        if (userDefinedNetwork(n.target) && !f.l("link").empty()) n.links = f.l("link");
        bool v6 = false;
        if (!f.s("ip").empty() && isIp(f.s("ip"), &v6) && !v6) n.ipv4 = f.s("ip");
        if (!f.s("ip6").empty() && isIp(f.s("ip6"))) n.ipv6 = f.s("ip6");
        if (!f.s("mac-address").empty()) n.mac = f.s("mac-address");
        if (!f.l("link-local-ip").empty()) n.linkLocalIps = f.l("link-local-ip");
        return {};
    };
    json endpoints = json::object();
    if (nets.empty()) {
        NetAttach n;
        n.target = "default";
        TRY(applyLegacy(n));
        endpoints["default"] = TRY(endpointFor(n));
    }
    bool hasUser = false, hasOther = false;
    for (size_t i = 0; i < nets.size(); i++) {
        auto& n = nets[i];
        (userDefinedNetwork(n.target) ? hasUser : hasOther) = true;
        if (i == 0) TRY(applyLegacy(n));
        json ep = TRY(endpointFor(n));
        if (endpoints.contains(n.target))
            return invalid("network \"{}\" is specified multiple times", n.target);
        if (i == 0 && nets.size() == 1 && endpointIsEmpty(ep)) continue;
        endpoints[n.target] = ep;
    }
    if (hasUser && hasOther)
        return invalid(
            "conflicting options: cannot attach both user-defined and non-user-defined "
            "network-modes");
    std::string networkMode = nets.empty() ? "default" : nets[0].target;

    json capAdd, capDrop;
    effectiveCaps(f.l("cap-add"), f.l("cap-drop"), capAdd, capDrop);

    json pb = json::object();
    for (auto& [port, bs] : portBindings) {
        json arr = json::array();
        for (auto& b : bs) arr.push_back({{"HostIp", b.hostIp}, {"HostPort", b.hostPort}});
        pb[port] = arr;
    }
    auto listOrNull = [](const std::vector<std::string>& l) {
        return l.empty() ? json(nullptr) : json(l);
    };
    std::vector<std::string> dnsOpts = f.l("dns-option");
    for (auto& o : f.l("dns-opt")) dnsOpts.push_back(o);
    std::vector<std::string> dns;
    for (auto& d : f.l("dns")) dns.push_back(trim(d));
    std::vector<std::string> extraHosts;
    for (auto& h : f.l("add-host")) {
        auto sep = h.find('=');
        if (sep == std::string::npos) sep = h.find(':');
        extraHosts.push_back(h.substr(0, sep) + ":" + h.substr(sep + 1));
    }

    json host = {
        {"Binds", binds},
        {"ContainerIDFile", spec.cidfile},
        {"LogConfig", {{"Type", f.s("log-driver")}, {"Config", logOpts}}},
        {"NetworkMode", networkMode},
        {"PortBindings", pb},
        {"RestartPolicy", restart},
        {"AutoRemove", spec.autoRemove},
        {"VolumeDriver", f.s("volume-driver")},
        {"VolumesFrom", listOrNull(f.l("volumes-from"))},
        {"ConsoleSize", {0, 0}},
        {"CapAdd", capAdd},
        {"CapDrop", capDrop},
        {"CgroupnsMode", f.s("cgroupns")},
        {"Dns", dns},
        {"DnsOptions", dnsOpts},
        {"DnsSearch", f.l("dns-search")},
        {"ExtraHosts", listOrNull(extraHosts)},
        {"GroupAdd", listOrNull(f.l("group-add"))},
        {"IpcMode", f.s("ipc")},
        {"Cgroup", ""},
        {"Links", listOrNull(f.l("link"))},
        {"OomScoreAdj", f.i("oom-score-adj")},
        {"PidMode", f.s("pid")},
        {"Privileged", f.b("privileged")},
        {"PublishAllPorts", f.b("publish-all")},
        {"ReadonlyRootfs", f.b("read-only")},
        {"SecurityOpt", securityOpt},
        {"UTSMode", f.s("uts")},
        {"UsernsMode", f.s("userns")},
        {"ShmSize", shmSize},
        {"Isolation", f.s("isolation")},
        {"CpuShares", f.i("cpu-shares")},
        {"Memory", memory},
        {"NanoCpus", nanoCpus},
        {"CgroupParent", f.s("cgroup-parent")},
        {"BlkioWeight", f.u("blkio-weight")},
        {"BlkioWeightDevice", json::array()},
        {"BlkioDeviceReadBps", json::array()},
        {"BlkioDeviceWriteBps", json::array()},
        {"BlkioDeviceReadIOps", json::array()},
        {"BlkioDeviceWriteIOps", json::array()},
        {"CpuPeriod", f.i("cpu-period")},
        {"CpuQuota", f.i("cpu-quota")},
        {"CpuRealtimePeriod", f.i("cpu-rt-period")},
        {"CpuRealtimeRuntime", f.i("cpu-rt-runtime")},
        {"CpusetCpus", f.s("cpuset-cpus")},
        {"CpusetMems", f.s("cpuset-mems")},
        {"Devices", devices},
        {"DeviceCgroupRules", listOrNull(f.l("device-cgroup-rule"))},
        {"DeviceRequests", nullptr},
        {"MemoryReservation", memoryReservation},
        {"MemorySwap", memorySwap},
        {"MemorySwappiness", swappiness},
        {"OomKillDisable", f.b("oom-kill-disable")},
        {"PidsLimit", f.i("pids-limit")},
        {"Ulimits", ulimits},
        {"CpuCount", f.i("cpu-count")},
        {"CpuPercent", f.i("cpu-percent")},
        {"IOMaximumIOps", f.u("io-maxiops")},
        {"IOMaximumBandwidth", ioMaxBandwidth},
        {"MaskedPaths", maskedPaths},
        {"ReadonlyPaths", readonlyPaths},
    };
    if (!storageOpt.is_null()) host["StorageOpt"] = storageOpt;
    if (!tmpfs.empty()) host["Tmpfs"] = tmpfs;
    if (!sysctls.is_null()) host["Sysctls"] = sysctls;
    if (!f.s("runtime").empty()) host["Runtime"] = f.s("runtime");
    if (!mounts.is_null()) host["Mounts"] = mounts;
    if (!annotations.is_null()) host["Annotations"] = annotations;
    if (f.changed("init")) host["Init"] = f.b("init");
    // Throttling lists: "path:rate" as docker's ThrottledeviceOpt.
    auto throttle = [&](std::string_view flag, std::string_view key, bool bytes) -> Status {
        for (auto& v : f.l(flag)) {
            auto c = v.rfind(':');
            if (c == std::string::npos || v.rfind("/dev/", 0) != 0)
                return flagError(f, flag, v, fmt::format("bad format: {}", v));
            std::string rate = v.substr(c + 1);
            int64_t r = 0;
            if (bytes) {
                auto b = parseBytes(rate);
                if (!b || *b < 0)
                    return flagError(
                        f, flag, v,
                        fmt::format("invalid rate for device: {}. The correct format "
                                    "is <device-path>:<number>[<unit>]. Number must be "
                                    "a positive integer. Unit is optional and can be "
                                    "kb, mb, or gb",
                                    v));
                r = *b;
            } else {
                auto n = parseUint(rate, 64);
                if (!n)
                    return flagError(f, flag, v,
                                     fmt::format("invalid rate for device: {}. The correct format "
                                                 "is <device-path>:<number>. Number must be a "
                                                 "positive integer",
                                                 v));
                r = static_cast<int64_t>(*n);
            }
            host[std::string(key)].push_back({{"Path", v.substr(0, c)}, {"Rate", r}});
        }
        return {};
    };
    TRY(throttle("device-read-bps", "BlkioDeviceReadBps", true));
    TRY(throttle("device-write-bps", "BlkioDeviceWriteBps", true));
    TRY(throttle("device-read-iops", "BlkioDeviceReadIOps", false));
    TRY(throttle("device-write-iops", "BlkioDeviceWriteIOps", false));
    for (auto& v : f.l("blkio-weight-device")) {
        auto c = v.rfind(':');
        auto w = c == std::string::npos ? Result<uint64_t>(invalid("x"))
                                        : parseUint(v.substr(c + 1), 16);
        if (!w || v.rfind("/dev/", 0) != 0 || (*w != 0 && (*w < 10 || *w > 1000)))
            return flagError(f, "blkio-weight-device", v,
                             fmt::format("invalid weight for device: {}", v));
        host["BlkioWeightDevice"].push_back({{"Path", v.substr(0, c)}, {"Weight", *w}});
    }

    if (spec.autoRemove && restart["Name"] != "no")
        return invalid("conflicting options: cannot specify both --restart and --rm");

    config["HostConfig"] = host;
    config["NetworkingConfig"] = {{"EndpointsConfig", endpoints}};
    spec.body = config.dump();
    return spec;
}

}  // namespace berth::cli
