// Typed JSON reads for the config.json parser (see spec_json.h).
#include <algorithm>

#include "runtime/spec_json.h"

namespace berth::spec::detail {

std::string at(const std::string& base, std::string_view key) {
    if (base.empty()) return std::string(key);
    return base + "." + std::string(key);
}

std::string at(const std::string& base, size_t index) {
    return base + "[" + std::to_string(index) + "]";
}

std::string describe(const Json& v) {
    switch (v.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::object:
            return "object";
        case Json::value_t::array:
            return "array";
        case Json::value_t::string:
            return "string";
        case Json::value_t::boolean:
            return "boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "integer";
        case Json::value_t::number_float:
            return "number";
        default:
            return "unsupported value";
    }
}

namespace {

// Records where the first syntax error is; the DOM parser with exceptions off keeps no detail.
class ErrorCatcher : public nlohmann::json_sax<Json> {
  public:
    size_t position = 0;
    std::string what;

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t pos, const std::string&,
                     const nlohmann::detail::exception& ex) override {
        position = pos;
        what = ex.what();
        return false;
    }
};

// nlohmann's what() reads "[json.exception.parse_error.101] parse error at line 1, column 2:
// syntax error ..."; keep only the part after the position, which we compute ourselves.
std::string reason(const std::string& what) {
    size_t col = what.find(", column ");
    if (col != std::string::npos) {
        size_t colon = what.find(": ", col);
        if (colon != std::string::npos) return what.substr(colon + 2);
    }
    size_t bracket = what.find("] ");
    return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

}  // namespace

Result<Json> parseText(std::string_view text, std::string_view doc) {
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    Json j = Json::parse(begin, end, nullptr, false);
    if (!j.is_discarded()) return j;

    ErrorCatcher catcher;
    Json::sax_parse(begin, end, &catcher);
    // `position` counts the characters read, the offending one included.
    size_t offset = std::min(catcher.position, text.size());
    size_t bad = offset > 0 ? offset - 1 : 0;
    std::string_view before = text.substr(0, bad);
    size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    size_t lastNewline = before.rfind('\n');
    size_t column = lastNewline == std::string_view::npos ? bad + 1 : bad - lastNewline;
    return invalid("{}: invalid JSON at line {}, column {}: {}", doc, line, column,
                   reason(catcher.what));
}

const Json* field(const Json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

Status expectObject(const Json& v, const std::string& path) {
    if (!v.is_object()) return invalid("{}: expected object, got {}", path, describe(v));
    return {};
}

Status expectArray(const Json& v, const std::string& path) {
    if (!v.is_array()) return invalid("{}: expected array, got {}", path, describe(v));
    return {};
}

Status toValue(const Json& v, const std::string& path, std::string& out) {
    if (!v.is_string()) return invalid("{}: expected string, got {}", path, describe(v));
    out = v.get<std::string>();
    return {};
}

Status toValue(const Json& v, const std::string& path, bool& out) {
    if (!v.is_boolean()) return invalid("{}: expected boolean, got {}", path, describe(v));
    out = v.get<bool>();
    return {};
}

Status toValue(const Json& v, const std::string& path, std::map<std::string, std::string>& out) {
    TRY(expectObject(v, path));
    std::map<std::string, std::string> m;
    for (const auto& [k, val] : v.items()) {
        std::string s;
        TRY(toValue(val, at(path, k), s));
        m.emplace(k, std::move(s));
    }
    out = std::move(m);
    return {};
}

Result<const Json*> object(const Json& obj, const char* key, const std::string& path) {
    const Json* v = field(obj, key);
    if (v == nullptr) return static_cast<const Json*>(nullptr);
    TRY(expectObject(*v, at(path, key)));
    return v;
}

bool oneOf(std::string_view s, std::initializer_list<std::string_view> allowed) {
    return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
}

Status parseIdMappings(const Json& obj, const char* key, const std::string& path,
                       std::vector<IdMapping>& out) {
    return forEachObject(obj, key, path, [&](const Json& m, const std::string& p) -> Status {
        IdMapping id;
        TRY(require(m, "containerID", p, id.containerID));
        TRY(require(m, "hostID", p, id.hostID));
        TRY(require(m, "size", p, id.size));
        out.push_back(id);
        return {};
    });
}

}  // namespace berth::spec::detail
