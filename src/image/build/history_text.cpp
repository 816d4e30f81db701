#include "image/build/history_text.h"

#include <cmath>

namespace berth::image::build {

std::string goQuote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\a':
                out += "\\a";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\v':
                out += "\\v";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += fmt::format("\\x{:02x}", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string goQuoteList(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); i++) out += (i ? " " : "") + goQuote(v[i]);
    return out + "]";
}

std::string goList(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); i++) out += (i ? " " : "") + v[i];
    return out + "]";
}

namespace {

// Fraction digits of v / unit without trailing zeros ("" when none).
std::string fraction(uint64_t v, uint64_t unit) {
    uint64_t frac = v % unit;
    if (!frac) return "";
    std::string digits;
    for (uint64_t u = unit / 10; u > 0; u /= 10) {
        digits += static_cast<char>('0' + (frac / u) % 10);
    }
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return "." + digits;
}

}  // namespace

std::string goDuration(int64_t ns) {
    if (ns == 0) return "0s";
    bool neg = ns < 0;
    uint64_t u = neg ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
    std::string out;
    if (u < 1000000000ULL) {
        // Below a second: the largest unit that keeps an integer part.
        if (u < 1000ULL) {
            out = fmt::format("{}ns", u);
        } else if (u < 1000000ULL) {
            out = fmt::format("{}{}µs", u / 1000, fraction(u, 1000));
        } else {
            out = fmt::format("{}{}ms", u / 1000000, fraction(u, 1000000));
        }
    } else {
        uint64_t secs = u / 1000000000ULL;
        std::string s = fmt::format("{}{}s", secs % 60, fraction(u, 1000000000ULL));
        uint64_t mins = secs / 60;
        if (mins > 0) {
            uint64_t hours = mins / 60;
            s = fmt::format("{}m", mins % 60) + s;
            if (hours > 0) s = fmt::format("{}h", hours) + s;
        }
        out = s;
    }
    return neg ? "-" + out : out;
}

Result<int64_t> parseGoDuration(std::string_view s) {
    std::string_view orig = s;
    auto bad = [&] { return invalid("time: invalid duration \"{}\"", orig); };
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return int64_t{0};
    if (s.empty()) return bad();
    long double total = 0;
    while (!s.empty()) {
        size_t i = 0;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) i++;
        if (i == 0) return bad();
        std::string num(s.substr(0, i));
        if (num == "." || std::count(num.begin(), num.end(), '.') > 1) return bad();
        s.remove_prefix(i);
        size_t j = 0;
        while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') j++;
        std::string_view unit = s.substr(0, j);
        s.remove_prefix(j);
        long double mult;
        if (unit == "ns") {
            mult = 1;
        } else if (unit == "us" || unit == "µs" || unit == "μs") {
            mult = 1e3;
        } else if (unit == "ms") {
            mult = 1e6;
        } else if (unit == "s") {
            mult = 1e9;
        } else if (unit == "m") {
            mult = 60e9;
        } else if (unit == "h") {
            mult = 3600e9;
        } else if (unit.empty()) {
            return invalid("time: missing unit in duration \"{}\"", orig);
        } else {
            return invalid("time: unknown unit \"{}\" in duration \"{}\"", unit, orig);
        }
        total += std::strtold(num.c_str(), nullptr) * mult;
    }
    if (total > 9.2e18L) return bad();
    auto v = static_cast<int64_t>(std::llround(total));
    return neg ? -v : v;
}

std::string healthcheckText(const HealthConfig& h) {
    auto quoteInt = [](int v) {
        if (v >= 0x20 && v < 0x7f && v != '\'' && v != '\\') return fmt::format("'{}'", char(v));
        if (v == '\'') return std::string("'\\''");
        if (v == '\\') return std::string("'\\\\'");
        if (v >= 0 && v < 0x100) return fmt::format("'\\x{:02x}'", v);
        return fmt::format("'\\u{:04x}'", v);
    };
    return fmt::format("&{{{} {} {} {} {} {}}}", goQuoteList(h.test),
                       goQuote(goDuration(h.interval)), goQuote(goDuration(h.timeout)),
                       goQuote(goDuration(h.startPeriod)), goQuote(goDuration(h.startInterval)),
                       quoteInt(h.retries));
}

namespace {

std::string joinShell(const std::vector<std::string>& shell) {
    std::string out;
    for (const auto& s : shell) out += s + " ";
    return out;
}

}  // namespace

std::string nopComment(const std::vector<std::string>& shell, std::string_view comment) {
    return joinShell(shell) + "#(nop)  " + std::string(comment);
}

std::string nopCommentString(const std::vector<std::string>& shell, std::string_view comment) {
    return joinShell(shell) + "#(nop) " + std::string(comment);
}

}  // namespace berth::image::build
