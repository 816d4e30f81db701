#include "cli/format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace {

bool isInt(const json& v) {
    return v.is_number_integer();
}

// Integers keep their exact text (nlohmann stores non-negative ones as unsigned).
std::string intText(const json& v) {
    return v.dump();
}

// ---- encoding/json

void jsonString(std::string& out, std::string_view s, bool escapeHtml) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            switch (c) {
                case '"':
                    out += "\\\"";
                    continue;
                case '\\':
                    out += "\\\\";
                    continue;
                case '\b':
                    out += "\\b";
                    continue;
                case '\f':
                    out += "\\f";
                    continue;
                case '\n':
                    out += "\\n";
                    continue;
                case '\r':
                    out += "\\r";
                    continue;
                case '\t':
                    out += "\\t";
                    continue;
                default:
                    break;
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

// ---- fmt

struct Spec {
    bool minus = false, plus = false, sharp = false, space = false, zero = false;
    int width = -1, prec = -1;
    char verb = 'v';
};

size_t runeCount(std::string_view s) {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); ++n) decodeUtf8(s, i);
    return n;
}

std::string truncateRunes(std::string_view s, int n) {
    size_t i = 0;
    for (int k = 0; k < n && i < s.size(); ++k) decodeUtf8(s, i);
    return std::string(s.substr(0, i));
}

std::string pad(std::string s, const Spec& sp, bool number) {
    if (sp.width < 0) return s;
    size_t n = runeCount(s), w = static_cast<size_t>(sp.width);
    if (n >= w) return s;
    if (sp.minus) return s + std::string(w - n, ' ');
    if (sp.zero) {
        size_t at = number && !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
        return s.insert(at, std::string(w - n, '0'));
    }
    return std::string(w - n, ' ') + s;
}

std::string badVerb(const json& v, char verb) {
    if (v.is_null() || v.is_discarded()) return fmt::format("%!{}(<nil>)", verb);
    return fmt::format("%!{}({}={})", verb, go::typeName(v), go::print(v));
}

std::string signed_(std::string digits, bool neg, const Spec& sp) {
    if (sp.prec >= 0 && digits.size() < static_cast<size_t>(sp.prec))
        digits.insert(0, static_cast<size_t>(sp.prec) - digits.size(), '0');
    if (neg) return "-" + digits;
    if (sp.plus) return "+" + digits;
    if (sp.space) return " " + digits;
    return digits;
}

std::string fmtFloat(const json& v, const Spec& sp);

std::string fmtInt(const json& v, const Spec& sp) {
    bool neg = v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0;
    uint64_t mag = neg ? 0 - static_cast<uint64_t>(v.get<int64_t>()) : v.get<uint64_t>();
    std::string digits;
    switch (sp.verb) {
        case 'v':
        case 'd':
            digits = std::to_string(mag);
            break;
        case 'x':
            digits = fmt::format("{:x}", mag);
            break;
        case 'X':
            digits = fmt::format("{:X}", mag);
            break;
        case 'o':
            digits = fmt::format("{:o}", mag);
            break;
        case 'b':
            digits = fmt::format("{:b}", mag);
            break;
        case 'U':
            return pad(fmt::format("U+{:04X}", mag), sp, false);
        case 'c': {
            std::string s;
            appendUtf8(s, static_cast<char32_t>(mag));
            return pad(s, sp, false);
        }
        case 'q': {
            std::string s;
            appendUtf8(s, static_cast<char32_t>(mag));
            std::string q = go::quote(s);
            return pad("'" + q.substr(1, q.size() - 2) + "'", sp, false);
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
            return fmtFloat(json(neg ? -static_cast<double>(mag) : static_cast<double>(mag)), sp);
        default:
            return badVerb(v, sp.verb);
    }
    if (sp.sharp && (sp.verb == 'x' || sp.verb == 'X'))
        digits = (sp.verb == 'x' ? "0x" : "0X") + digits;
    return pad(signed_(digits, neg, sp), sp, true);
}

std::string fmtFloat(const json& v, const Spec& sp) {
    double d = v.get<double>();
    switch (sp.verb) {
        case 'v':
        case 'g':
        case 'G':
            return pad(go::formatFloat(d, 'g', sp.prec), sp, true);
        case 'e':
        case 'E':
        case 'f':
        case 'F': {
            std::string s = go::formatFloat(d, static_cast<char>(std::tolower(sp.verb)),
                                            sp.prec < 0 ? 6 : sp.prec);
            if (sp.verb == 'E')
                for (char& c : s) c = static_cast<char>(std::toupper(c));
            if (sp.plus && d >= 0) s = "+" + s;
            return pad(s, sp, true);
        }
        case 'd':
            if (std::floor(d) == d && std::fabs(d) < 9.2e18) {
                Spec i = sp;
                return fmtInt(json(static_cast<int64_t>(d)), i);
            }
            [[fallthrough]];
        default:
            return badVerb(v, sp.verb);
    }
}

std::string fmtValue(const json& v, const Spec& sp) {
    if (sp.verb == 'T') return pad(go::typeName(v), sp, false);
    switch (v.type()) {
        case json::value_t::array: {
            std::string s = "[";
            for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + fmtValue(v[i], sp);
            return s + "]";
        }
        case json::value_t::object: {
            std::string s = "map[";
            Spec ks = sp;
            for (auto it = v.begin(); it != v.end(); ++it)
                s += (it == v.begin() ? "" : " ") + fmtValue(json(it.key()), ks) + ":" +
                     fmtValue(it.value(), sp);
            return s + "]";
        }
        case json::value_t::string: {
            const auto& s = v.get_ref<const std::string&>();
            switch (sp.verb) {
                case 'v':
                case 's':
                    return pad(sp.prec >= 0 ? truncateRunes(s, sp.prec) : s, sp, false);
                case 'q':
                    return pad(go::quote(sp.prec >= 0 ? truncateRunes(s, sp.prec) : s), sp, false);
                case 'x':
                case 'X': {
                    std::string h;
                    for (unsigned char c : s)
                        h += sp.verb == 'x' ? fmt::format("{:02x}", c) : fmt::format("{:02X}", c);
                    return pad(h, sp, false);
                }
                default:
                    return badVerb(v, sp.verb);
            }
        }
        case json::value_t::boolean:
            if (sp.verb == 'v' || sp.verb == 't')
                return pad(v.get<bool>() ? "true" : "false", sp, false);
            return badVerb(v, sp.verb);
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return fmtInt(v, sp);
        case json::value_t::number_float:
            return fmtFloat(v, sp);
        default:
            if (sp.verb == 'v') return pad("<nil>", sp, false);
            return badVerb(v, sp.verb);
    }
}

// ---- template functions

Result<std::string> wantString(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null() || v.is_discarded()) return invalid("invalid value; expected string");
    return invalid("wrong type for value; expected string; got {}", go::typeName(v));
}

Result<int64_t> wantInt(const json& v) {
    if (isInt(v)) return v.get<int64_t>();
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())
        return static_cast<int64_t>(v.get<double>());
    if (v.is_null() || v.is_discarded()) return invalid("invalid value; expected int");
    return invalid("wrong type for value; expected int; got {}", go::typeName(v));
}

enum class Kind { Bool, Number, String, Nil, Other };

Kind basicKind(const json& v) {
    if (v.is_boolean()) return Kind::Bool;
    if (v.is_number()) return Kind::Number;
    if (v.is_string()) return Kind::String;
    if (v.is_null() || v.is_discarded()) return Kind::Nil;
    return Kind::Other;
}

// -1, 0, 1 for numbers or strings of the same kind.
int compare(const json& a, const json& b) {
    if (a.is_string())
        return a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>()) < 0 ? -1
               : a == b                                                                     ? 0
                                                                                            : 1;
    if (isInt(a) && isInt(b)) {
        auto neg = [](const json& v) { return !v.is_number_unsigned() && v.get<int64_t>() < 0; };
        if (neg(a) != neg(b)) return neg(a) ? -1 : 1;
        if (neg(a))
            return a.get<int64_t>() < b.get<int64_t>() ? -1 : a.get<int64_t>() > b.get<int64_t>();
        return a.get<uint64_t>() < b.get<uint64_t>() ? -1 : a.get<uint64_t>() > b.get<uint64_t>();
    }
    double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y;
}

Result<bool> eq(const json& a, const json& b) {
    Kind ka = basicKind(a), kb = basicKind(b);
    if (ka == Kind::Nil || kb == Kind::Nil) return ka == kb;
    if (ka != kb) return invalid("incompatible types for comparison");
    if (ka == Kind::Other)
        return invalid("non-comparable type {}: {}", go::print(a), go::typeName(a));
    if (ka == Kind::Bool) return a == b;
    return compare(a, b) == 0;
}

Result<int> order(const json& a, const json& b) {
    Kind ka = basicKind(a), kb = basicKind(b);
    if (ka == Kind::Bool || ka == Kind::Nil || ka == Kind::Other || kb == Kind::Bool ||
        kb == Kind::Nil || kb == Kind::Other)
        return invalid("invalid type for comparison");
    if (ka != kb) return invalid("incompatible types for comparison");
    return compare(a, b);
}

Result<json> slice(const json& item, const std::vector<json>& idx) {
    if (item.is_null() || item.is_discarded()) return invalid("slice of untyped nil");
    if (idx.size() > 3) return invalid("too many slice indexes: {}", idx.size());
    if (!item.is_string() && !item.is_array())
        return invalid("can't slice item of type {}", go::typeName(item));
    if (item.is_string() && idx.size() == 3) return invalid("cannot 3-index slice a string");
    auto len = static_cast<int64_t>(item.is_string() ? item.get_ref<const std::string&>().size()
                                                     : item.size());
    int64_t ix[3] = {0, len, len};
    for (size_t i = 0; i < idx.size(); ++i) {
        auto r = wantInt(idx[i]);
        if (!r) return invalid("cannot index slice/array with type {}", go::typeName(idx[i]));
        if (*r < 0 || *r > len) return invalid("index out of range: {}", *r);
        ix[i] = *r;
    }
    if (ix[0] > ix[1]) return invalid("invalid slice index: {} > {}", ix[0], ix[1]);
    if (item.is_string())
        return json(item.get_ref<const std::string&>().substr(static_cast<size_t>(ix[0]),
                                                              static_cast<size_t>(ix[1] - ix[0])));
    json out = json::array();
    for (int64_t i = ix[0]; i < ix[1]; ++i) out.push_back(item[static_cast<size_t>(i)]);
    return out;
}

std::string title(std::string s) {
    bool sep = true;
    for (char& c : s) {
        auto u = static_cast<unsigned char>(c);
        if (sep && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        sep = u < 0x80 && !std::isalnum(u) && c != '_';
    }
    return s;
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
    std::vector<std::string> out;
    if (sep.empty()) {
        for (size_t i = 0; i < s.size();) {
            size_t start = i;
            decodeUtf8(s, i);
            out.push_back(s.substr(start, i - start));
        }
        return out;
    }
    for (size_t start = 0;;) {
        size_t p = s.find(sep, start);
        if (p == std::string::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, p - start));
        start = p + sep.size();
    }
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
        s.replace(p, from.size(), to);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

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

namespace go {

std::string formatFloat(double v, char fmtc, int prec) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[512];
    if (prec >= 0) {
        const char* f = fmtc == 'e' ? "%.*e" : fmtc == 'f' ? "%.*f" : "%.*g";
        std::snprintf(buf, sizeof buf, f, prec, v);
        return buf;
    }
    // Shortest digits that round-trip, then Go's layout.
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
    bool neg = sci[0] == '-';
    if (neg) sci.remove_prefix(1);
    size_t e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e))
        if (c != '.') digits += c;
    int exp = std::stoi(std::string(sci.substr(e + 1)));
    int nd = static_cast<int>(digits.size()), dp = exp + 1;
    if (fmtc == 'g') fmtc = (exp < -4 || exp >= 6) ? 'e' : 'f';
    std::string out = neg ? "-" : "";
    if (fmtc == 'e') {
        out += digits[0];
        if (nd > 1) out += "." + digits.substr(1);
        out += exp < 0 ? "e-" : "e+";
        out += fmt::format("{:02}", std::abs(exp));
    } else if (dp <= 0) {
        out += "0." + std::string(static_cast<size_t>(-dp), '0') + digits;
    } else if (dp >= nd) {
        out += digits + std::string(static_cast<size_t>(dp - nd), '0');
    } else {
        out += digits.substr(0, static_cast<size_t>(dp)) + "." +
               digits.substr(static_cast<size_t>(dp));
    }
    return out;
}

std::string print(const json& v) {
    switch (v.type()) {
        case json::value_t::string:
            return v.get<std::string>();
        case json::value_t::boolean:
            return v.get<bool>() ? "true" : "false";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return intText(v);
        case json::value_t::number_float:
            return formatFloat(v.get<double>(), 'g', -1);
        case json::value_t::null:
            return "<nil>";
        case json::value_t::array: {
            std::string s = "[";
            for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + print(v[i]);
            return s + "]";
        }
        case json::value_t::object: {
            std::string s = "map[";
            for (auto it = v.begin(); it != v.end(); ++it)
                s += (it == v.begin() ? "" : " ") + it.key() + ":" + print(it.value());
            return s + "]";
        }
        default:
            return "<no value>";
    }
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t start = i;
        char32_t r = decodeUtf8(s, i);
        if (r == 0xFFFD && c >= 0x80 && !s.substr(start).starts_with("\xEF\xBF\xBD")) {
            out += fmt::format("\\x{:02x}", c);
            continue;
        }
        switch (r) {
            case '"':
                out += "\\\"";
                continue;
            case '\\':
                out += "\\\\";
                continue;
            case '\a':
                out += "\\a";
                continue;
            case '\b':
                out += "\\b";
                continue;
            case '\f':
                out += "\\f";
                continue;
            case '\n':
                out += "\\n";
                continue;
            case '\r':
                out += "\\r";
                continue;
            case '\t':
                out += "\\t";
                continue;
            case '\v':
                out += "\\v";
                continue;
            default:
                break;
        }
        if (r < 0x20 || r == 0x7F)
            out += fmt::format("\\x{:02x}", static_cast<unsigned>(r));
        else if ((r >= 0x80 && r <= 0xA0) || r == 0xAD || r == 0x2028 || r == 0x2029 || r == 0xFEFF)
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(r));
        else
            out += s.substr(start, i - start);
    }
    return out + "\"";
}

std::string sprintf(std::string_view f, const std::vector<json>& args) {
    std::string out;
    size_t argi = 0;
    for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] != '%') {
            out += f[i];
            continue;
        }
        Spec sp;
        for (++i; i < f.size(); ++i) {
            char c = f[i];
            if (c == '-')
                sp.minus = true, sp.zero = false;
            else if (c == '+')
                sp.plus = true;
            else if (c == '#')
                sp.sharp = true;
            else if (c == ' ')
                sp.space = true;
            else if (c == '0')
                sp.zero = !sp.minus;
            else
                break;
        }
        auto number = [&](int& dst) {
            if (i < f.size() && f[i] == '*') {
                ++i;
                if (argi < args.size() && isInt(args[argi])) {
                    dst = static_cast<int>(args[argi++].get<int64_t>());
                    if (dst < 0) sp.minus = true, dst = -dst;
                } else {
                    ++argi;
                    out += "%!(BADWIDTH)";
                }
                return;
            }
            if (i >= f.size() || !std::isdigit(static_cast<unsigned char>(f[i]))) return;
            dst = 0;
            while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i])))
                dst = dst * 10 + (f[i++] - '0');
        };
        number(sp.width);
        if (i < f.size() && f[i] == '.') {
            ++i;
            sp.prec = 0;
            number(sp.prec);
        }
        if (i >= f.size()) {
            out += "%!(NOVERB)";
            break;
        }
        sp.verb = f[i];
        if (sp.verb == '%') {
            out += '%';
            continue;
        }
        if (argi >= args.size()) {
            out += fmt::format("%!{}(MISSING)", sp.verb);
            continue;
        }
        out += fmtValue(args[argi++], sp);
    }
    if (argi < args.size()) {
        out += "%!(EXTRA ";
        for (size_t k = argi; k < args.size(); ++k) {
            const json& a = args[k];
            out += k > argi ? ", " : "";
            out += a.is_null() ? "<nil>" : typeName(a) + "=" + print(a);
        }
        out += ")";
    }
    return out;
}

bool truth(const json& v) {
    switch (v.type()) {
        case json::value_t::boolean:
            return v.get<bool>();
        case json::value_t::number_integer:
            return v.get<int64_t>() != 0;
        case json::value_t::number_unsigned:
            return v.get<uint64_t>() != 0;
        case json::value_t::number_float:
            return v.get<double>() != 0;
        case json::value_t::string:
            return !v.get_ref<const std::string&>().empty();
        case json::value_t::array:
        case json::value_t::object:
            return !v.empty();
        default:
            return false;
    }
}

std::string typeName(const json& v) {
    switch (v.type()) {
        case json::value_t::string:
            return "string";
        case json::value_t::boolean:
            return "bool";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return "int";
        case json::value_t::number_float:
            return "float64";
        case json::value_t::array:
            return "[]interface {}";
        case json::value_t::object:
            return "map[string]interface {}";
        default:
            return "<nil>";
    }
}

Result<json> index(const json& item, const std::vector<json>& keys) {
    json cur = item;
    for (const json& k : keys) {
        if (cur.is_null() || cur.is_discarded()) return invalid("index of untyped nil");
        if (cur.is_object()) {
            if (!k.is_string()) return invalid("value has type {}; should be string", typeName(k));
            auto it = cur.find(k.get<std::string>());
            if (it != cur.end()) {
                cur = json(*it);
                continue;
            }
            bool strings = true;
            for (const auto& [_, val] : cur.items()) strings = strings && val.is_string();
            cur = strings ? json("") : json(nullptr);
            continue;
        }
        if (!cur.is_array() && !cur.is_string())
            return invalid("can't index item of type {}", typeName(cur));
        if (k.is_null()) return invalid("cannot index slice/array with nil");
        auto i = wantInt(k);
        if (!i) return invalid("cannot index slice/array with type {}", typeName(k));
        size_t len = cur.is_string() ? cur.get_ref<const std::string&>().size() : cur.size();
        if (*i < 0 || static_cast<size_t>(*i) >= len) return invalid("index out of range: {}", *i);
        if (cur.is_string())
            cur = json(static_cast<int64_t>(static_cast<unsigned char>(
                cur.get_ref<const std::string&>()[static_cast<size_t>(*i)])));
        else
            cur = json(cur[static_cast<size_t>(*i)]);
    }
    return cur;
}

namespace {

const std::set<std::string_view> kHeaderPassThrough = {"json",  "split", "join",    "title",
                                                       "lower", "upper", "truncate"};

}  // namespace

bool isFunction(std::string_view name) {
    static const std::set<std::string_view> kNames = {
        "and",     "or",    "not",   "len",   "index", "slice", "print",   "printf",
        "println", "eq",    "ne",    "lt",    "le",    "gt",    "ge",      "json",
        "join",    "split", "title", "lower", "upper", "pad",   "truncate"};
    return kNames.count(name) > 0;
}

Arity arity(std::string_view name, bool headerFunctions) {
    if (headerFunctions && kHeaderPassThrough.count(name))
        return {name == "split" || name == "join" || name == "truncate" ? size_t{2} : size_t{1},
                false};
    if (name == "print" || name == "println") return {0, true};
    if (name == "index" || name == "slice" || name == "printf" || name == "eq" || name == "and" ||
        name == "or")
        return {1, true};
    if (name == "ne" || name == "lt" || name == "le" || name == "gt" || name == "ge" ||
        name == "join" || name == "split" || name == "truncate")
        return {2, false};
    if (name == "pad") return {3, false};
    return {1, false};
}

Result<json> call(std::string_view name, const std::vector<json>& args, bool headerFunctions) {
    auto calling = [&](const Error& e) { return invalid("error calling {}: {}", name, e.msg); };
    if (headerFunctions && kHeaderPassThrough.count(name)) {
        auto s = TRY(wantString(args[0]));
        if (name == "truncate")
            TRY(wantInt(args[1]));
        else if (name != "json")
            TRY(wantString(args[1 % args.size()]));
        return json(s);
    }
    if (name == "not") return json(!truth(args[0]));
    if (name == "len") {
        const json& v = args[0];
        if (v.is_string() || v.is_array() || v.is_object())
            return json(static_cast<int64_t>(v.is_string() ? v.get_ref<const std::string&>().size()
                                                           : v.size()));
        if (v.is_null()) return calling(Error{0, "len of nil pointer"});
        return calling(Error{0, "len of type " + typeName(v)});
    }
    if (name == "index" || name == "slice") {
        std::vector<json> rest(args.begin() + 1, args.end());
        auto r = name == "index" ? index(args[0], rest) : slice(args[0], rest);
        if (!r) return calling(r.error());
        return r;
    }
    if (name == "print" || name == "println") {
        std::string s;
        for (size_t i = 0; i < args.size(); ++i) {
            bool space = name == "println"
                             ? i > 0
                             : i > 0 && !args[i].is_string() && !args[i - 1].is_string();
            s += (space ? " " : "") + print(args[i]);
        }
        return json(name == "println" ? s + "\n" : s);
    }
    if (name == "printf") {
        auto f = TRY(wantString(args[0]));
        return json(sprintf(f, std::vector<json>(args.begin() + 1, args.end())));
    }
    if (name == "eq") {
        if (args.size() < 2) return calling(Error{0, "missing argument for comparison"});
        for (size_t i = 1; i < args.size(); ++i) {
            auto r = eq(args[0], args[i]);
            if (!r) return calling(r.error());
            if (*r) return json(true);
        }
        return json(false);
    }
    if (name == "ne") {
        auto r = eq(args[0], args[1]);
        if (!r) return calling(r.error());
        return json(!*r);
    }
    if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
        auto r = order(args[0], args[1]);
        if (!r) return calling(r.error());
        int c = *r;
        return json(name == "lt" ? c < 0 : name == "le" ? c <= 0 : name == "gt" ? c > 0 : c >= 0);
    }
    if (name == "json") return json(goJsonCompact(args[0], false));
    if (name == "join") {
        if (!args[0].is_array())
            return invalid("wrong type for value; expected []string; got {}", typeName(args[0]));
        auto sep = TRY(wantString(args[1]));
        std::string s;
        for (size_t i = 0; i < args[0].size(); ++i) s += (i ? sep : "") + print(args[0][i]);
        return json(s);
    }
    if (name == "split") {
        auto s = TRY(wantString(args[0]));
        auto sep = TRY(wantString(args[1]));
        return json(split(s, sep));
    }
    if (name == "title" || name == "lower" || name == "upper") {
        auto s = TRY(wantString(args[0]));
        if (name == "title") return json(title(s));
        for (char& c : s) {
            if (name == "lower" && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (name == "upper" && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        return json(s);
    }
    if (name == "pad") {
        auto s = TRY(wantString(args[0]));
        auto pre = TRY(wantInt(args[1]));
        auto post = TRY(wantInt(args[2]));
        if (s.empty()) return json(s);
        return json(std::string(static_cast<size_t>(std::max<int64_t>(pre, 0)), ' ') + s +
                    std::string(static_cast<size_t>(std::max<int64_t>(post, 0)), ' '));
    }
    if (name == "truncate") {
        auto s = TRY(wantString(args[0]));
        auto n = TRY(wantInt(args[1]));
        if (n < 0) return calling(Error{0, "slice bounds out of range"});
        if (s.size() < static_cast<size_t>(n)) return json(s);
        return json(s.substr(0, static_cast<size_t>(n)));
    }
    return invalid("function \"{}\" not defined", name);
}

}  // namespace go

// ---------------------------------------------------------------------------------------------

std::string unescapeFormat(std::string_view format) {
    std::string f(format);
    replaceAll(f, "\\t", "\t");
    replaceAll(f, "\\n", "\n");
    return f;
}

Result<std::string> renderList(std::string_view format, const std::vector<json>& rows,
                               const json& headers, const ListFormat& list, bool quiet) {
    std::string f(format);
    if (f.empty() || f == "table") f = quiet ? list.quietFormat : list.defaultTable;
    bool table = f.starts_with("table");
    if (table)
        f.erase(0, 5);
    else if (f == "json")
        f = "{{json .}}";
    size_t b = f.find_first_not_of(' '), e = f.find_last_not_of(' ');
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
    f = unescapeFormat(f);

    auto tmpl = Template::parse(f);
    if (!tmpl) return invalid("template parsing error: {}", tmpl.error().msg);
    std::string body;
    for (const json& row : rows) {
        auto r = tmpl->execute(row);
        if (!r) return invalid("template parsing error: {}", r.error().msg);
        body += *r;
        body += '\n';
    }
    if (!table) return body;
    // Docker ignores header errors and keeps what was written.
    std::string header = tmpl->executePartial(headers, ExecOptions{.headerFunctions = true});
    return tabwrite(header + "\n" + body);
}

Result<EachOutput> renderEach(std::string_view format, const std::vector<json>& items,
                              const ExecOptions& opts) {
    EachOutput res;
    if (format.empty() || format == "json") {
        json arr = json::array();
        for (const json& it : items) arr.push_back(it);
        res.out = (format.empty() ? goJsonIndent(arr, 4) : goJsonCompact(arr)) + "\n";
        return res;
    }
    auto tmpl = Template::parse(format);
    if (!tmpl) return invalid("template parsing error: {}", tmpl.error().msg);
    for (const json& it : items) {
        auto r = tmpl->execute(it, opts);
        if (!r) {
            res.errors.push_back("template parsing error: " + r.error().msg);
            continue;
        }
        res.out += *r;
        res.out += '\n';
    }
    if (res.out.empty()) res.out = "\n";
    return res;
}

}  // namespace berth::cli
