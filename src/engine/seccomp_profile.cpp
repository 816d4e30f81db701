// docker-format seccomp profile -> OCI linux.seccomp, as moby's profiles/seccomp does it:
// archMap picks this host's architectures; a rule is dropped when an `excludes` condition holds
// (an arch, any of its caps in the bounding set, a kernel at least minKernel) or an `includes`
// condition fails (arch, all of its caps, minKernel).
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "engine/security.h"

namespace berth::engine {

namespace {

using Json = nlohmann::json;

// Go's GOARCH spelling as libseccomp's "native" name (what includes/excludes arches use) and
// the matching SCMP_ARCH_ name (what archMap keys on). Compile time, like Go's runtime.GOARCH.
struct NativeArch {
    const char* native;
    const char* scmp;
};
constexpr NativeArch kNative =
#if defined(__x86_64__)
    {"amd64", "SCMP_ARCH_X86_64"};
#elif defined(__aarch64__)
    {"arm64", "SCMP_ARCH_AARCH64"};
#elif defined(__i386__)
    {"x86", "SCMP_ARCH_X86"};
#elif defined(__arm__)
    {"arm", "SCMP_ARCH_ARM"};
#elif defined(__s390x__)
    {"s390x", "SCMP_ARCH_S390X"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    {"ppc64le", "SCMP_ARCH_PPC64LE"};
#elif defined(__riscv) && __riscv_xlen == 64
    {"riscv64", "SCMP_ARCH_RISCV64"};
#else
    {"", ""};
#endif

struct KernelVersion {
    int kernel = 0, major = 0, minor = 0;
    auto operator<=>(const KernelVersion&) const = default;
};

// "4.8", "5.10.3", "6.18.44-fc-v669": docker's kernel.ParseRelease keeps three numbers.
std::optional<KernelVersion> parseKernel(const std::string& s) {
    KernelVersion v;
    int n = std::sscanf(s.c_str(), "%d.%d.%d", &v.kernel, &v.major, &v.minor);
    if (n < 2) return std::nullopt;
    if (n == 2) v.minor = 0;
    return v;
}

Result<KernelVersion> hostKernel() {
    struct utsname u;
    if (::uname(&u) < 0) return errnoError("uname");
    auto v = parseKernel(u.release);
    if (!v) return invalid("cannot parse kernel version {:?}", u.release);
    return *v;
}

// Kernel >= minKernel.
Result<bool> kernelAtLeast(const std::string& minKernel) {
    auto want = parseKernel(minKernel);
    if (!want) return invalid("invalid kernel version: {}", minKernel);
    return TRY(hostKernel()) >= *want;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

Error decodeError(const std::string& what) {
    return invalid("Decoding seccomp profile failed: {}", what);
}

// A string array member ("caps": [...]); absent or null is empty.
Result<std::vector<std::string>> strings(const Json& obj, const char* key) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_array()) return decodeError(fmt::format("{}: expected an array", key));
    for (const auto& v : *it) {
        if (!v.is_string()) return decodeError(fmt::format("{}: expected strings", key));
        out.push_back(v.get<std::string>());
    }
    return out;
}

Result<std::string> string(const Json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::string();
    if (!it->is_string()) return decodeError(fmt::format("{}: expected a string", key));
    return it->get<std::string>();
}

Result<std::optional<uint64_t>> unsignedField(const Json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::optional<uint64_t>();
    if (!it->is_number_unsigned())
        return decodeError(fmt::format("{}: expected an unsigned integer", key));
    return std::optional<uint64_t>(it->get<uint64_t>());
}

struct Filter {
    std::vector<std::string> arches, caps;
    std::string minKernel;
};

Result<Filter> parseFilter(const Json& rule, const char* key) {
    Filter f;
    auto it = rule.find(key);
    if (it == rule.end() || it->is_null()) return f;
    if (!it->is_object()) return decodeError(fmt::format("{}: expected an object", key));
    f.arches = TRY(strings(*it, "arches"));
    f.caps = TRY(strings(*it, "caps"));
    f.minKernel = TRY(string(*it, "minKernel"));
    return f;
}

// Whether the rule applies to this host and bounding set.
Result<bool> ruleApplies(const Json& rule, const std::vector<std::string>& caps) {
    Filter ex = TRY(parseFilter(rule, "excludes"));
    if (has(ex.arches, kNative.native)) return false;
    for (const auto& c : ex.caps)
        if (has(caps, c)) return false;
    if (!ex.minKernel.empty() && TRY(kernelAtLeast(ex.minKernel))) return false;
    Filter in = TRY(parseFilter(rule, "includes"));
    if (!in.arches.empty() && !has(in.arches, kNative.native)) return false;
    for (const auto& c : in.caps)
        if (!has(caps, c)) return false;
    if (!in.minKernel.empty() && !TRY(kernelAtLeast(in.minKernel))) return false;
    return true;
}

Result<Json> convertArgs(const Json& rule) {
    Json out = Json::array();
    auto it = rule.find("args");
    if (it == rule.end() || it->is_null()) return out;
    if (!it->is_array()) return decodeError("args: expected an array");
    for (const auto& a : *it) {
        if (!a.is_object()) return decodeError("args: expected objects");
        // Values first: a TRY inside a braced initializer would leave it half-built.
        uint64_t index = TRY(unsignedField(a, "index")).value_or(0);
        uint64_t value = TRY(unsignedField(a, "value")).value_or(0);
        uint64_t two = TRY(unsignedField(a, "valueTwo")).value_or(0);
        std::string op = TRY(string(a, "op"));
        Json arg = {{"index", index}, {"value", value}};
        if (two) arg["valueTwo"] = two;
        arg["op"] = op;
        out.push_back(std::move(arg));
    }
    return out;
}

Result<Json> convertRule(const Json& rule) {
    auto names = TRY(strings(rule, "names"));
    auto name = TRY(string(rule, "name"));
    if (!name.empty() && !names.empty())
        return invalid(
            "'name' and 'names' were specified in the seccomp profile, use either 'name' or "
            "'names'");
    if (!name.empty()) names = {name};
    std::string action = TRY(string(rule, "action"));
    Json out = {{"names", names}, {"action", action}};
    if (auto e = TRY(unsignedField(rule, "errnoRet"))) out["errnoRet"] = *e;
    Json args = TRY(convertArgs(rule));
    if (!args.empty()) out["args"] = std::move(args);
    return out;
}

Result<Json> convert(const Json& p, const std::vector<std::string>& caps) {
    if (!p.is_object()) return decodeError("expected a JSON object");
    auto defaultAction = TRY(string(p, "defaultAction"));
    auto it = p.find("syscalls");
    bool noRules = it == p.end() || it->is_null() || (it->is_array() && it->empty());
    if (defaultAction.empty() && noRules) return Json();  // docker: no profile at all

    Json out = Json::object();
    out["defaultAction"] = defaultAction;
    if (auto e = TRY(unsignedField(p, "defaultErrnoRet"))) out["defaultErrnoRet"] = *e;
    auto arches = TRY(strings(p, "architectures"));
    auto archMap = p.find("archMap");
    bool hasMap = archMap != p.end() && archMap->is_array() && !archMap->empty();
    if (!arches.empty() && hasMap)
        return invalid(
            "'architectures' and 'archMap' were specified in the seccomp profile, use either "
            "'architectures' or 'archMap'");
    if (hasMap) {
        for (const auto& m : *archMap) {
            if (!m.is_object()) return decodeError("archMap: expected objects");
            if (TRY(string(m, "architecture")) != kNative.scmp) continue;
            arches.push_back(kNative.scmp);
            for (auto& s : TRY(strings(m, "subArchitectures"))) arches.push_back(std::move(s));
            break;
        }
    }
    if (!arches.empty()) out["architectures"] = arches;
    if (auto flags = TRY(strings(p, "flags")); !flags.empty()) out["flags"] = flags;
    if (auto l = TRY(string(p, "listenerPath")); !l.empty()) out["listenerPath"] = l;
    if (auto l = TRY(string(p, "listenerMetadata")); !l.empty()) out["listenerMetadata"] = l;

    Json rules = Json::array();
    if (!noRules) {
        if (!it->is_array()) return decodeError("syscalls: expected an array");
        for (const auto& rule : *it) {
            if (!rule.is_object()) return decodeError("syscalls: expected objects");
            if (!TRY(ruleApplies(rule, caps))) continue;
            rules.push_back(TRY(convertRule(rule)));
        }
    }
    out["syscalls"] = std::move(rules);
    return out;
}

}  // namespace

Result<std::optional<std::string>> seccompProfile(const std::string& opt,
                                                  const std::vector<std::string>& caps) {
    if (opt == "unconfined") return std::optional<std::string>();
    std::string_view text = opt.empty() || opt == "builtin" ? defaultSeccompProfileJson() : opt;
    Json p = Json::parse(text, nullptr, false);
    if (p.is_discarded()) return decodeError("invalid JSON");
    Json out = TRY(convert(p, caps));
    if (out.is_null()) return std::optional<std::string>();
    return std::optional<std::string>(
        out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace berth::engine
