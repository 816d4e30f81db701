// Capabilities, --security-opt and --device, docker's way (moby oci/caps, daemon/create and
// oci/devices_linux.go). The seccomp profile conversion lives in seccomp_profile.cpp.
#include "engine/security.h"

#include <dirent.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <functional>

#include <nlohmann/json.hpp>

#include "runtime/capabilities.h"

namespace berth::engine {

namespace {

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// Upper-cases, adds "CAP_", keeps "ALL"; unknown names are docker's InvalidParameter.
Result<std::vector<std::string>> normalizeCaps(const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const auto& raw : in) {
        std::string c = upper(raw);
        if (c != "ALL") {
            if (c.rfind("CAP_", 0) != 0) c = "CAP_" + c;
            if (!contains(allCapabilities(), c)) return invalid("unknown capability: \"{}\"", c);
        }
        out.push_back(std::move(c));
    }
    return out;
}

// Go's strconv.ParseBool.
std::optional<bool> parseBool(const std::string& s) {
    for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
        if (s == t) return true;
    for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
        if (s == f) return false;
    return std::nullopt;
}

const char* deviceType(mode_t m) {
    if (S_ISCHR(m)) return "c";
    if (S_ISBLK(m)) return "b";
    if (S_ISFIFO(m)) return "p";
    return nullptr;
}

void addDevice(const std::string& containerPath, const struct stat& st, const std::string& perms,
               nlohmann::json& out) {
    const char* type = deviceType(st.st_mode);
    auto maj = static_cast<int64_t>(major(st.st_rdev));
    auto min = static_cast<int64_t>(minor(st.st_rdev));
    out["devices"].push_back({{"path", containerPath},
                              {"type", type},
                              {"major", maj},
                              {"minor", min},
                              {"fileMode", st.st_mode & ~S_IFMT},
                              {"uid", st.st_uid},
                              {"gid", st.st_gid}});
    out["rules"].push_back(
        {{"allow", true}, {"type", type}, {"major", maj}, {"minor", min}, {"access", perms}});
}

// Every device node below dir (symlinks are not followed), as docker's filepath.WalkDir.
void walkDevices(const std::string& dir, const std::string& hostRoot,
                 const std::string& containerRoot, const std::string& perms, nlohmann::json& out) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;  // unreadable parts are skipped, as docker ignores walk errors
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());  // WalkDir's lexical order
    for (const auto& n : names) {
        std::string p = dir + "/" + n;
        struct stat st;
        if (::lstat(p.c_str(), &st) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            walkDevices(p, hostRoot, containerRoot, perms, out);
        } else if (deviceType(st.st_mode)) {
            addDevice(containerRoot + p.substr(hostRoot.size()), st, perms, out);
        }
    }
}

}  // namespace

const std::vector<std::string>& defaultCapabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE",
    };
    return caps;
}

const std::vector<std::string>& allCapabilities() {
    static const std::vector<std::string> caps = caps::allKnown();
    return caps;
}

namespace {

// The capabilities this daemon can hand out: all known ones in our own bounding set. A daemon
// without some (CAP_SYS_RESOURCE here) gives privileged / ALL containers the rest, as docker
// does when it runs with fewer than all, instead of failing every start with EPERM.
std::vector<std::string> grantable(const std::vector<std::string>& caps) {
    std::vector<std::string> out;
    for (const auto& c : caps) {
        cap_value_t v;
        if (cap_from_name(c.c_str(), &v) == 0 && ::prctl(PR_CAPBSET_READ, v, 0, 0, 0) != 1)
            continue;
        out.push_back(c);
    }
    return out;
}

}  // namespace

Result<std::vector<std::string>> capabilities(const std::vector<std::string>& add,
                                              const std::vector<std::string>& drop,
                                              bool privileged) {
    if (privileged) return grantable(allCapabilities());
    if (add.empty() && drop.empty()) return defaultCapabilities();
    auto drops = TRY(normalizeCaps(drop));
    auto adds = TRY(normalizeCaps(add));
    std::vector<std::string> out;
    auto push = [&](const std::string& c) {
        if (c != "ALL" && !contains(out, c)) out.push_back(c);
    };
    if (contains(adds, "ALL")) {
        for (const auto& c : grantable(allCapabilities()))
            if (!contains(drops, c)) push(c);
    } else if (contains(drops, "ALL")) {
        for (const auto& c : adds) push(c);
    } else {
        for (const auto& c : defaultCapabilities())
            if (!contains(drops, c)) push(c);
        for (const auto& c : adds) push(c);
    }
    return out;
}

Status parseSecurityOpts(const std::vector<std::string>& opts, SecurityOpts& out) {
    for (const auto& opt : opts) {
        if (opt == "no-new-privileges") {
            out.noNewPrivileges = true;
            continue;
        }
        if (opt == "disable") {
            out.labels.push_back("disable");
            continue;
        }
        size_t eq = opt.find('=');
        size_t sep = eq != std::string::npos ? eq : opt.find(':');
        if (sep == std::string::npos) return invalid("invalid --security-opt 1: \"{}\"", opt);
        if (eq == std::string::npos)
            out.warnings.push_back(fmt::format(
                "security option \"{}\": `:` as a separator is deprecated, use `=`", opt));
        std::string key = opt.substr(0, sep), value = opt.substr(sep + 1);
        auto bad = [&] { return invalid("invalid --security-opt 2: \"{}\"", opt); };
        // No LSM here: asking for less confinement is what happens anyway; asking for a
        // profile or a label is worth a warning.
        if (key == "label") {
            out.labels.push_back(value);
            if (value != "disable")
                out.warnings.push_back(fmt::format(
                    "security option \"{}\" is ignored: SELinux is not supported", opt));
        } else if (key == "apparmor") {
            out.apparmor = value;
            if (value != "unconfined")
                out.warnings.push_back(fmt::format(
                    "security option \"{}\" is ignored: AppArmor is not supported", opt));
        } else if (key == "seccomp") {
            out.seccomp = value;
        } else if (key == "no-new-privileges") {
            auto b = parseBool(value);
            if (!b) return bad();
            out.noNewPrivileges = *b;
        } else if (key == "systempaths") {
            if (value != "unconfined") return bad();
            out.systemPathsUnconfined = true;
        } else if (key == "writable-cgroups") {
            auto b = parseBool(value);
            if (!b) return bad();
            out.writableCgroups = *b;
        } else {
            return bad();
        }
    }
    return {};
}

Result<nlohmann::json> deviceMapping(const std::string& pathOnHost,
                                     const std::string& pathInContainer, const std::string& perms) {
    std::string access = perms.empty() ? "rwm" : perms;
    if (access.size() > 3 || std::any_of(access.begin(), access.end(), [&](char c) {
            return (c != 'r' && c != 'w' && c != 'm') ||
                   std::count(access.begin(), access.end(), c) > 1;
        }))
        return invalid("invalid device mode: {}", perms);
    std::string dest = pathInContainer.empty() ? pathOnHost : pathInContainer;

    std::string resolved = pathOnHost;
    struct stat st;
    if (::lstat(pathOnHost.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        if (char* real = ::realpath(pathOnHost.c_str(), nullptr)) {
            resolved = real;
            std::free(real);
        }
    }
    nlohmann::json out = {{"devices", nlohmann::json::array()}, {"rules", nlohmann::json::array()}};
    if (::lstat(resolved.c_str(), &st) < 0) {
        return invalid("error gathering device information while adding custom device \"{}\": {}",
                       pathOnHost, std::strerror(errno));
    }
    if (deviceType(st.st_mode)) {
        addDevice(dest, st, access, out);
        return out;
    }
    if (S_ISDIR(st.st_mode)) walkDevices(resolved, resolved, dest, access, out);
    if (out["devices"].empty())
        return invalid(
            "error gathering device information while adding custom device \"{}\": "
            "not a device node",
            pathOnHost);
    return out;
}

}  // namespace berth::engine
