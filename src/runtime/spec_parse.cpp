// config.json: top level (version, root, mounts, hooks, annotations) and the checks that span
// sections. Process, linux.* and resources live in the sibling spec_parse_*.cpp files.
#include <cctype>

#include "common/sys.h"
#include "runtime/spec.h"
#include "runtime/spec_json.h"

namespace berth::spec {

using namespace detail;

namespace {

// Reads a run of digits starting at `pos`; false when there is none (or it overflows).
bool readNumber(std::string_view s, size_t& pos, unsigned& out) {
    size_t start = pos;
    out = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        if (pos - start >= 9) return false;
        out = out * 10 + static_cast<unsigned>(s[pos] - '0');
        pos++;
    }
    return pos > start;
}

// SemVer "MAJOR.MINOR.PATCH[-pre][+build]". Pre-releases of a supported minor ("1.0.2-dev",
// "1.1.0-rc.1") are accepted. Major 0 is accepted too: the runtime-spec's own examples still
// carry "0.5.0-dev" on documents in the 1.x shape, and the field checks below apply anyway.
Status checkVersion(const std::string& v) {
    size_t pos = 0;
    unsigned major = 0, minor = 0, patch = 0;
    bool ok = readNumber(v, pos, major) && pos < v.size() && v[pos++] == '.' &&
              readNumber(v, pos, minor) && pos < v.size() && v[pos++] == '.' &&
              readNumber(v, pos, patch) &&
              (pos == v.size() || ((v[pos] == '-' || v[pos] == '+') && pos + 1 < v.size()));
    if (!ok) return invalid("ociVersion: \"{}\" is not a SemVer version (MAJOR.MINOR.PATCH)", v);
    if (major == 0 || (major == 1 && minor <= 3)) return {};
    return invalid("ociVersion \"{}\" is not supported (this runtime supports 1.0.0 to 1.3.x)", v);
}

Status parseRoot(const Json& v, const std::string& path, Root& out) {
    TRY(require(v, "path", path, out.path));
    if (out.path.empty()) return invalid("{}: must not be empty", at(path, "path"));
    return read(v, "readonly", path, out.readonly);
}

Status parseMounts(const Json& doc, std::vector<Mount>& out) {
    return forEachObject(doc, "mounts", "", [&](const Json& m, const std::string& p) -> Status {
        Mount mnt;
        TRY(require(m, "destination", p, mnt.destination));
        if (mnt.destination.empty()) return invalid("{}: must not be empty", at(p, "destination"));
        TRY(read(m, "source", p, mnt.source));
        TRY(read(m, "type", p, mnt.type));
        TRY(read(m, "options", p, mnt.options));
        TRY(parseIdMappings(m, "uidMappings", p, mnt.uidMappings));
        TRY(parseIdMappings(m, "gidMappings", p, mnt.gidMappings));
        out.push_back(std::move(mnt));
        return {};
    });
}

Status parseHookList(const Json& hooks, const char* key, const std::string& path,
                     std::vector<Hook>& out) {
    return forEachObject(hooks, key, path, [&](const Json& h, const std::string& p) -> Status {
        Hook hook;
        TRY(require(h, "path", p, hook.path));
        if (hook.path.empty() || hook.path[0] != '/') {
            return invalid("{}: must be an absolute path, got \"{}\"", at(p, "path"), hook.path);
        }
        TRY(read(h, "args", p, hook.args));
        TRY(read(h, "env", p, hook.env));
        TRY(read(h, "timeout", p, hook.timeout));
        if (hook.timeout && *hook.timeout <= 0) {
            return invalid("{}: must be greater than zero, got {}", at(p, "timeout"),
                           *hook.timeout);
        }
        out.push_back(std::move(hook));
        return {};
    });
}

Status parseHooks(const Json& v, const std::string& path, Hooks& out) {
    TRY(parseHookList(v, "prestart", path, out.prestart));
    TRY(parseHookList(v, "createRuntime", path, out.createRuntime));
    TRY(parseHookList(v, "createContainer", path, out.createContainer));
    TRY(parseHookList(v, "startContainer", path, out.startContainer));
    TRY(parseHookList(v, "poststart", path, out.poststart));
    return parseHookList(v, "poststop", path, out.poststop);
}

// Checks that need more than one section: what a field asks of linux.namespaces.
Status checkNamespaceNeeds(const Spec& s) {
    if (!s.hostname.empty() && !s.hasNamespace("uts")) {
        return invalid(
            "hostname: setting the hostname requires a UTS namespace in "
            "linux.namespaces");
    }
    if (!s.domainname.empty() && !s.hasNamespace("uts")) {
        return invalid(
            "domainname: setting the domain name requires a UTS namespace in "
            "linux.namespaces");
    }
    if (!s.linux) return {};
    if (!s.hasNamespace("user")) {
        if (!s.linux->uidMappings.empty()) {
            return invalid(
                "linux.uidMappings: uid mappings require a user namespace in "
                "linux.namespaces");
        }
        if (!s.linux->gidMappings.empty()) {
            return invalid(
                "linux.gidMappings: gid mappings require a user namespace in "
                "linux.namespaces");
        }
    }
    if (!s.linux->timeOffsetsSecs.empty() && !s.hasNamespace("time")) {
        return invalid(
            "linux.timeOffsets: time offsets require a time namespace in "
            "linux.namespaces");
    }
    return {};
}

bool isBindMount(const Mount& m) {
    if (m.type == "bind") return true;
    for (const auto& o : m.options) {
        if (o == "bind" || o == "rbind") return true;
    }
    return false;
}

}  // namespace

Result<Spec> parseSpec(std::string_view json) {
    Json doc = TRY(parseText(json, "config.json"));
    if (!doc.is_object()) return invalid("config.json: expected object, got {}", describe(doc));

    Spec s;
    TRY(require(doc, "ociVersion", "", s.ociVersion));
    TRY(checkVersion(s.ociVersion));
    if (const Json* v = TRY(object(doc, "root", ""))) TRY(parseRoot(*v, "root", s.root.emplace()));
    TRY(parseMounts(doc, s.mounts));
    if (const Json* v = TRY(object(doc, "process", ""))) {
        TRY(parseProcessAt(*v, "process", s.process.emplace()));
    }
    TRY(read(doc, "hostname", "", s.hostname));
    TRY(read(doc, "domainname", "", s.domainname));
    if (const Json* v = TRY(object(doc, "hooks", ""))) {
        TRY(parseHooks(*v, "hooks", s.hooks.emplace()));
    }
    TRY(read(doc, "annotations", "", s.annotations));
    if (const Json* v = TRY(object(doc, "linux", ""))) {
        TRY(parseLinuxAt(*v, "linux", s.linux.emplace()));
    }
    TRY(checkNamespaceNeeds(s));
    return s;
}

Result<Spec> loadSpec(const std::string& bundleDir) {
    std::string dir = bundleDir;
    if (!dir.empty() && dir.back() != '/') dir += '/';
    std::string text = TRY(sys::readFile(dir + "config.json"));
    Spec s = TRY(parseSpec(text));
    // The runtime spec: a relative bind-mount source is relative to the bundle, not to the
    // runtime's cwd (runc joins it with the bundle path the same way).
    if (!dir.empty()) {
        for (auto& m : s.mounts) {
            if (isBindMount(m) && !m.source.empty() && m.source.front() != '/') {
                m.source = dir + m.source;
            }
        }
    }
    return s;
}

Result<Process> parseProcess(std::string_view json) {
    Json doc = TRY(parseText(json, "process.json"));
    if (!doc.is_object()) return invalid("process.json: expected object, got {}", describe(doc));
    Process p;
    TRY(parseProcessAt(doc, "", p));
    return p;
}

}  // namespace berth::spec
