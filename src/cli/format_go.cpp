// Go's fmt and strconv over JSON values: %v printing, Sprintf with its verbs and flags,
// strconv.Quote and FormatFloat, and the truth and type names templates go by.
#include "cli/format.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

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

}  // namespace

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
        if (const char* e = shortEscape(r, true)) {
            out += e;
            continue;
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

}  // namespace go

}  // namespace berth::cli
