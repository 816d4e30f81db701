// Reading the normalized model's JSON: sections, scalars, sizes, durations, integers.
#include <cmath>
#include <cstdlib>

#include "compose/convert_internal.h"
#include "compose/project.h"
#include "compose/values.h"

namespace berth::compose::detail {

const json& emptyObject() {
    static const json kEmpty = json::object();
    return kEmpty;
}

// model[a][b], or {} when either is missing.
const json& section(const json& model, const char* a, const std::string& b) {
    if (!model.is_object()) return emptyObject();
    auto ia = model.find(a);
    if (ia == model.end() || !ia->is_object()) return emptyObject();
    auto ib = ia->find(b);
    return ib != ia->end() && ib->is_object() ? *ib : emptyObject();
}

const json& serviceOf(const Project& p, const std::string& svc) {
    return section(p.model, "services", svc);
}

std::string projectName(const Project& p) {
    if (!p.name.empty()) return p.name;
    return p.model.is_object() ? p.model.value("name", "") : "";
}

std::string str(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool flag(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_boolean() && it->get<bool>();
}

bool has(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && !it->is_null();
}

// A scalar as the engine's map[string]string wants it.
std::string scalar(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    return v.dump();
}

json stringMap(const json& obj) {
    json out = json::object();
    if (obj.is_object())
        for (auto& [k, v] : obj.items()) out[k] = scalar(v);
    return out;
}

std::vector<std::string> strings(const json& obj, const char* key) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it == obj.end()) return out;
    if (it->is_string()) out.push_back(it->get<std::string>());
    if (it->is_array())
        for (const auto& e : *it)
            if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

Result<int64_t> bytes(const json& v, std::string_view what) {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number()) return static_cast<int64_t>(v.get<double>());
    if (v.is_string()) return TRY_CTX(parseBytes(v.get<std::string>()), "{}", what);
    return invalid("{}: invalid size {}", what, v.dump());
}

Result<int64_t> durationNs(const json& v, std::string_view what) {
    if (v.is_string()) return TRY_CTX(parseDurationNs(v.get<std::string>()), "{}", what);
    return invalid("{}: invalid duration {}", what, v.dump());
}

Result<int64_t> nanoCpus(const json& v, std::string_view what) {
    double d = 0;
    if (v.is_number()) {
        d = v.get<double>();
    } else if (v.is_string()) {
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        d = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return invalid("{}: invalid number of CPUs \"{}\"", what, s);
    } else {
        return invalid("{}: invalid number of CPUs {}", what, v.dump());
    }
    if (d < 0) return invalid("{}: the number of CPUs cannot be negative", what);
    return static_cast<int64_t>(std::llround(d * 1e9));
}

Result<int64_t> integer(const json& v, std::string_view what) {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        long long n = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && *end == '\0') return static_cast<int64_t>(n);
    }
    return invalid("{}: not an integer: {}", what, v.dump());
}
}  // namespace berth::compose::detail
