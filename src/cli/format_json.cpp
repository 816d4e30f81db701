// Go's encoding/json output of JSON values: json.Marshal and json.MarshalIndent, with Go's
// string escaping (HTML characters, U+2028/9, invalid UTF-8) and float format.
#include "cli/format.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace {

void jsonString(std::string& out, std::string_view s, bool escapeHtml) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            if (const char* e = shortEscape(c, false)) {
                out += e;
                continue;
            }
            if (c < 0x20 || (escapeHtml && (c == '<' || c == '>' || c == '&'))) {
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 0xF];
            } else {
                out += static_cast<char>(c);
            }
            continue;
        }
        size_t start = i;
        char32_t r = decodeUtf8(s, i);
        if (r == 0xFFFD && !s.substr(start).starts_with("\xEF\xBF\xBD"))
            out += "\\ufffd";
        else if (r == 0x2028 || r == 0x2029)
            out += r == 0x2028 ? "\\u2028" : "\\u2029";
        else
            out += s.substr(start, i - start);
    }
    out += '"';
}

std::string jsonFloat(double f) {
    if (!std::isfinite(f)) return "null";  // Go refuses to encode these
    double a = std::fabs(f);
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        std::string s = go::formatFloat(f, 'e', -1);
        size_t n = s.size();
        if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
        return s;
    }
    return go::formatFloat(f, 'f', -1);
}

void jsonWrite(std::string& out, const json& v, bool escapeHtml, int indent, int depth) {
    auto newline = [&](int d) {
        out += '\n';
        out.append(static_cast<size_t>(indent * d), ' ');
    };
    switch (v.type()) {
        case json::value_t::object: {
            if (v.empty()) {
                out += "{}";
                return;
            }
            out += '{';
            bool first = true;
            for (auto it = v.begin(); it != v.end(); ++it) {
                if (!first) out += ',';
                first = false;
                if (indent) newline(depth + 1);
                jsonString(out, it.key(), escapeHtml);
                out += indent ? ": " : ":";
                jsonWrite(out, it.value(), escapeHtml, indent, depth + 1);
            }
            if (indent) newline(depth);
            out += '}';
            return;
        }
        case json::value_t::array: {
            if (v.empty()) {
                out += "[]";
                return;
            }
            out += '[';
            for (size_t i = 0; i < v.size(); ++i) {
                if (i) out += ',';
                if (indent) newline(depth + 1);
                jsonWrite(out, v[i], escapeHtml, indent, depth + 1);
            }
            if (indent) newline(depth);
            out += ']';
            return;
        }
        case json::value_t::string:
            jsonString(out, v.get_ref<const std::string&>(), escapeHtml);
            return;
        case json::value_t::number_float:
            out += jsonFloat(v.get<double>());
            return;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::boolean:
            out += v.dump();
            return;
        default:
            out += "null";
            return;
    }
}

}  // namespace

std::string goJsonCompact(const json& v, bool escapeHtml) {
    std::string out;
    jsonWrite(out, v, escapeHtml, 0, 0);
    return out;
}

std::string goJsonIndent(const json& v, int indent, bool escapeHtml) {
    std::string out;
    jsonWrite(out, v, escapeHtml, indent, 0);
    return out;
}

}  // namespace berth::cli
