// Sizes and durations as docker writes them: go-units' RAMInBytes and Go's time.Duration
// (ParseDuration, String). Shared by the CLI's flags and the compose model.
#include "common/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace berth {

namespace {

std::string lower(std::string_view s) {
    std::string o(s);
    for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
}

}  // namespace

Result<int64_t> parseBytes(std::string_view s) {
    size_t sep = s.find_last_of("0123456789. ");
    if (sep == std::string_view::npos) return invalid("invalid size: '{}'", s);
    std::string_view num = s.substr(0, s[sep] == ' ' ? sep : sep + 1);
    std::string sfx = lower(s.substr(sep + 1));
    std::string numStr(num);
    char* end = nullptr;
    double size = numStr.empty() ? 0 : std::strtod(numStr.c_str(), &end);
    bool okNum = !numStr.empty() && end == numStr.c_str() + numStr.size() &&
                 numStr.find_first_of("xXpPnN") == std::string::npos && numStr[0] != ' ';
    if (!okNum) return invalid("strconv.ParseFloat: parsing \"{}\": invalid syntax", num);
    if (size < 0) return invalid("invalid size: '{}'", s);
    if (sfx.empty()) return static_cast<int64_t>(size);
    auto badSuffix = [&] { return invalid("invalid suffix: '{}'", sfx); };
    if (sfx.size() > 3) return badSuffix();
    if (sfx[0] == 'b') {
        if (sfx.size() > 1) return badSuffix();
        return static_cast<int64_t>(size);
    }
    static constexpr std::string_view kUnits = "kmgtp";
    size_t u = kUnits.find(sfx[0]);
    if (u == std::string_view::npos) return badSuffix();
    size *= std::pow(1024.0, static_cast<double>(u + 1));
    if (size >= 9.2e18) return invalid("invalid size: '{}'", s);
    if ((sfx.size() == 2 && sfx[1] != 'b') || (sfx.size() == 3 && sfx.substr(1) != "ib"))
        return badSuffix();
    return static_cast<int64_t>(size);
}

namespace {

constexpr uint64_t kMaxDuration = uint64_t{1} << 63;

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

uint64_t durationUnit(std::string_view u) {
    if (u == "ns") return 1;
    if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;  // us, U+00B5, U+03BC
    if (u == "ms") return 1000000;
    if (u == "s") return 1000000000;
    if (u == "m") return 60 * uint64_t{1000000000};
    if (u == "h") return 3600 * uint64_t{1000000000};
    return 0;
}

}  // namespace

Result<int64_t> parseDurationNs(std::string_view orig) {
    auto bad = [&] { return invalid("time: invalid duration \"{}\"", orig); };
    std::string_view s = orig;
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return int64_t{0};
    if (s.empty()) return bad();
    uint64_t total = 0;
    while (!s.empty()) {
        if (s[0] != '.' && !isDigit(s[0])) return bad();
        // Integer part; overflow is an error.
        uint64_t v = 0;
        size_t i = 0;
        for (; i < s.size() && isDigit(s[i]); ++i) {
            if (v > kMaxDuration / 10) return bad();
            v = v * 10 + static_cast<uint64_t>(s[i] - '0');
            if (v > kMaxDuration) return bad();
        }
        bool pre = i > 0;
        s.remove_prefix(i);
        // Fraction: digits past what fits are dropped, as Go does.
        uint64_t f = 0;
        double scale = 1;
        bool post = false;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            bool overflow = false;
            for (i = 0; i < s.size() && isDigit(s[i]); ++i) {
                if (overflow) continue;
                if (f > (kMaxDuration - 1) / 10) {
                    overflow = true;
                    continue;
                }
                uint64_t y = f * 10 + static_cast<uint64_t>(s[i] - '0');
                if (y > kMaxDuration) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = i > 0;
            s.remove_prefix(i);
        }
        if (!pre && !post) return bad();
        for (i = 0; i < s.size() && s[i] != '.' && !isDigit(s[i]); ++i) {
        }
        if (i == 0) return invalid("time: missing unit in duration \"{}\"", orig);
        std::string_view u = s.substr(0, i);
        s.remove_prefix(i);
        uint64_t unit = durationUnit(u);
        if (unit == 0) return invalid("time: unknown unit \"{}\" in duration \"{}\"", u, orig);
        if (v > kMaxDuration / unit) return bad();
        v *= unit;
        if (f > 0) {
            v +=
                static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
            if (v > kMaxDuration) return bad();
        }
        total += v;
        if (total > kMaxDuration) return bad();
    }
    if (neg) return static_cast<int64_t>(0 - total);  // two's complement: -2^63 fits
    if (total > kMaxDuration - 1) return bad();
    return static_cast<int64_t>(total);
}

namespace {

// The fraction of v / 10^prec without trailing zeros (".5", or "" when zero); v becomes the
// integer part.
std::string fraction(uint64_t& v, int prec) {
    std::string digits;
    bool print = false;
    for (int i = 0; i < prec; ++i) {
        uint64_t d = v % 10;
        print = print || d != 0;
        if (print) digits.insert(digits.begin(), static_cast<char>('0' + d));
        v /= 10;
    }
    return print ? "." + digits : std::string();
}

}  // namespace

std::string formatDuration(int64_t ns) {
    if (ns == 0) return "0s";
    bool neg = ns < 0;
    uint64_t u = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
    std::string out;
    if (u < 1000000000) {
        std::string unit;
        int prec = 0;
        if (u < 1000) {
            unit = "ns";
        } else if (u < 1000000) {
            unit = "\xC2\xB5s";  // µs, as Go prints it
            prec = 3;
        } else {
            unit = "ms";
            prec = 6;
        }
        std::string frac = fraction(u, prec);
        out = std::to_string(u) + frac + unit;
    } else {
        std::string frac = fraction(u, 9);  // u is now whole seconds
        out = std::to_string(u % 60) + frac + "s";
        u /= 60;
        if (u > 0) {
            out = std::to_string(u % 60) + "m" + out;
            u /= 60;
            if (u > 0) out = std::to_string(u) + "h" + out;
        }
    }
    return neg ? "-" + out : out;
}
}  // namespace berth
