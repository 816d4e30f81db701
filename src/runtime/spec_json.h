// Private helpers of the spec_parse*.cpp files: typed, path-naming reads out of nlohmann::json.
//
// Never include this from spec.h: spec.h stays free of any JSON library. Every reader reports
// the JSON path of the offending value ("process.rlimits[0].hard: expected unsigned integer,
// got string"); absent and null fields leave the output untouched, as Go's encoding/json does,
// and unknown fields are never looked at (forward compatibility).
#pragma once

#include <concepts>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "runtime/spec.h"

namespace berth::spec::detail {

using Json = nlohmann::json;

// "a.b" / "b" when base is empty; "a[3]".
std::string at(const std::string& base, std::string_view key);
std::string at(const std::string& base, size_t index);

// What a value is, for "got ..." in messages: "string", "integer", "number", "object", ...
std::string describe(const Json& v);

// Parses text without exceptions. A syntax error reads "<doc>: invalid JSON at line L, column
// C: <what nlohmann says>", with line and column computed from the byte offset of the error.
Result<Json> parseText(std::string_view text, std::string_view doc);

// The member `key` of object `obj`, or nullptr when absent or null.
const Json* field(const Json& obj, const char* key);

Status expectObject(const Json& v, const std::string& path);
Status expectArray(const Json& v, const std::string& path);

// Converts one value. Integers are range-checked against T.
Status toValue(const Json& v, const std::string& path, std::string& out);
Status toValue(const Json& v, const std::string& path, bool& out);

template <std::integral T>
requires(!std::is_same_v<T, bool>) Status toValue(const Json& v, const std::string& path, T& out) {
    constexpr bool kUnsigned = std::is_unsigned_v<T>;
    if (!v.is_number_integer()) {
        return invalid("{}: expected {}integer, got {}", path, kUnsigned ? "unsigned " : "",
                       describe(v));
    }
    if (v.is_number_unsigned()) {
        auto u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
            return invalid("{}: {} is out of range (maximum {})", path, u,
                           std::numeric_limits<T>::max());
        }
        out = static_cast<T>(u);
        return {};
    }
    auto s = v.get<int64_t>();  // negative: nlohmann keeps non-negative integers unsigned
    if constexpr (kUnsigned) {
        return invalid("{}: expected unsigned integer, got negative integer {}", path, s);
    } else {
        if (s < static_cast<int64_t>(std::numeric_limits<T>::min())) {
            return invalid("{}: {} is out of range (minimum {})", path, s,
                           std::numeric_limits<T>::min());
        }
        out = static_cast<T>(s);
        return {};
    }
}

Status toValue(const Json& v, const std::string& path, std::map<std::string, std::string>& out);

template <typename T>
Status toValue(const Json& v, const std::string& path, std::vector<T>& out) {
    TRY(expectArray(v, path));
    std::vector<T> items;
    for (size_t i = 0; i < v.size(); i++) {
        T item{};
        TRY(toValue(v[i], at(path, i), item));
        items.push_back(std::move(item));
    }
    out = std::move(items);
    return {};
}

template <typename T>
Status toValue(const Json& v, const std::string& path, std::optional<T>& out) {
    T value{};
    TRY(toValue(v, path, value));
    out = std::move(value);
    return {};
}

// Optional field: absent or null leaves `out` as it is.
template <typename T>
Status read(const Json& obj, const char* key, const std::string& path, T& out) {
    const Json* v = field(obj, key);
    if (v == nullptr) return {};
    return toValue(*v, at(path, key), out);
}

// Required field: absent is "<path>.<key>: required field is missing".
template <typename T>
Status require(const Json& obj, const char* key, const std::string& path, T& out) {
    const Json* v = field(obj, key);
    if (v == nullptr) return invalid("{}: required field is missing", at(path, key));
    return toValue(*v, at(path, key), out);
}

// Calls fn(element, elementPath) for each object of the optional array obj[key].
template <typename F>
Status forEachObject(const Json& obj, const char* key, const std::string& path, F&& fn) {
    const Json* v = field(obj, key);
    if (v == nullptr) return {};
    std::string arrayPath = at(path, key);
    TRY(expectArray(*v, arrayPath));
    for (size_t i = 0; i < v->size(); i++) {
        std::string p = at(arrayPath, i);
        TRY(expectObject((*v)[i], p));
        TRY(fn((*v)[i], p));
    }
    return {};
}

// The optional object obj[key] (type-checked), or nullptr when absent.
Result<const Json*> object(const Json& obj, const char* key, const std::string& path);

// True when s is one of `allowed`.
bool oneOf(std::string_view s, std::initializer_list<std::string_view> allowed);

// Walkers shared between the parse files; `path` is where the value sits ("" at the top).
Status parseProcessAt(const Json& v, const std::string& path, Process& out);
Status parseLinuxAt(const Json& v, const std::string& path, Linux& out);
Status parseResourcesAt(const Json& v, const std::string& path, Resources& out);
Status parseSeccompAt(const Json& v, const std::string& path, Seccomp& out);
Status parseIdMappings(const Json& obj, const char* key, const std::string& path,
                       std::vector<IdMapping>& out);

}  // namespace berth::spec::detail
