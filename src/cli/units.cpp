#include "cli/units.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

namespace berth::cli {

namespace {

std::string customSize(double size, double base, const std::vector<const char*>& units,
                       int precision = 4) {
    size_t i = 0;
    while (size >= base && i + 1 < units.size()) {
        size /= base;
        ++i;
    }
    // Go's %.<n>g and C's agree for the magnitudes reachable here (< base, or 0).
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g%s", precision, size, units[i]);
    return buf;
}

std::string plural(int64_t n, const char* unit) {
    return fmt::format("{} {}", n, unit);
}

int runeWidth(char32_t r) {
    if (r == 0 || r < 0x20 || (r >= 0x7F && r < 0xA0)) return 0;
    struct Range {
        char32_t lo, hi;
    };
    static constexpr Range kZero[] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},
                                      {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
                                      {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}};
    static constexpr Range kWide[] = {
        {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2E80, 0x303E},   {0x3041, 0x33FF},
        {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},
        {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
        {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD}};
    for (auto [lo, hi] : kZero)
        if (r >= lo && r <= hi) return 0;
    for (auto [lo, hi] : kWide)
        if (r >= lo && r <= hi) return 2;
    return 1;
}

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

// Fixed-width decimal field; false when not all digits.
bool parseDigits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (!isDigit(s[i])) return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// Parses the timestamp shapes docker's GetTimestamp accepts: a date, optionally 'T' and 1-3
// time fields (fraction only after seconds); a zone is required iff !local.
Result<int64_t> parseDateTime(std::string_view v, bool local, int64_t now) {
    auto bad = [&] { return invalid("parsing time \"{}\": invalid timestamp", v); };
    struct tm tm {};
    int year, mon, day;
    if (!parseDigits(v, 0, 4, year) || v.size() < 10 || v[4] != '-' || !parseDigits(v, 5, 2, mon) ||
        v[7] != '-' || !parseDigits(v, 8, 2, day))
        return bad();
    if (mon < 1 || mon > 12 || day < 1 || day > 31) return bad();
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    size_t i = 10;
    if (i < v.size() && v[i] == 'T') {
        ++i;
        int* parts[] = {&tm.tm_hour, &tm.tm_min, &tm.tm_sec};
        int parsed = 0;
        for (; parsed < 3; ++parsed) {
            if (parsed > 0) {
                if (i >= v.size() || v[i] != ':') break;
                ++i;
            }
            if (!parseDigits(v, i, 2, *parts[parsed])) return bad();
            i += 2;
        }
        if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) return bad();
        if (i < v.size() && v[i] == '.') {
            if (parsed < 3) return bad();
            ++i;
            size_t start = i;
            while (i < v.size() && isDigit(v[i])) ++i;
            if (i == start) return bad();
        }
    }
    int64_t offset = 0;
    if (i < v.size()) {
        if (local) return bad();
        if (v[i] == 'Z' || v[i] == 'z') {
            ++i;
        } else if (v[i] == '+' || v[i] == '-') {
            int hh, mm;
            if (!parseDigits(v, i + 1, 2, hh) || i + 3 >= v.size() || v[i + 3] != ':' ||
                !parseDigits(v, i + 4, 2, mm))
                return bad();
            offset = (hh * 3600 + mm * 60) * (v[i] == '-' ? -1 : 1);
            i += 6;
        } else {
            return bad();
        }
    } else if (!local) {
        return bad();
    }
    if (i != v.size()) return bad();
    int64_t t = timegm(&tm);
    if (local) {
        time_t n = now;
        struct tm lt {};
        localtime_r(&n, &lt);
        offset = lt.tm_gmtoff;
    }
    return t - offset;
}

std::tm localTm(int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    return tm;
}

// The zone of a local time: RFC 3339's "Z" / "+01:00", or Go's "-0700 MST" of Time.String().
std::string zoneSuffix(const std::tm& tm, bool rfc) {
    long off = tm.tm_gmtoff;
    if (off == 0 && rfc) return "Z";
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    if (rfc) return fmt::format("{}{:02}:{:02}", sign, off / 3600, off % 3600 / 60);
    return fmt::format("{}{:02}{:02} {}", sign, off / 3600, off % 3600 / 60,
                       tm.tm_zone ? tm.tm_zone : "UTC");
}

// "2006-01-02T15:04:05" + fraction + zone of a local time.
std::string rfc3339Local(int64_t unixSeconds, std::string_view fraction) {
    auto tm = localTm(unixSeconds);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return std::string(buf) + std::string(fraction) + zoneSuffix(tm, true);
}

}  // namespace

const char* shortEscape(char32_t r, bool goQuote) {
    switch (r) {
        case '"':
            return "\\\"";
        case '\\':
            return "\\\\";
        case '\b':
            return "\\b";
        case '\f':
            return "\\f";
        case '\n':
            return "\\n";
        case '\r':
            return "\\r";
        case '\t':
            return "\\t";
        case '\a':
            return goQuote ? "\\a" : nullptr;
        case '\v':
            return goQuote ? "\\v" : nullptr;
        default:
            return nullptr;
    }
}

char32_t decodeUtf8(std::string_view s, size_t& i) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    if (len == 1 || i + len > s.size()) {
        ++i;
        return b < 0x80 ? b : 0xFFFD;
    }
    char32_t r = b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
        auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        r = (r << 6) | (c & 0x3F);
    }
    i += len;
    return r;
}

void appendUtf8(std::string& out, char32_t r) {
    auto put = [&](uint32_t b) { out += static_cast<char>(b); };
    if (r < 0x80) {
        put(r);
    } else if (r < 0x800) {
        put(0xC0 | (r >> 6));
        put(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
        put(0xE0 | (r >> 12));
        put(0x80 | ((r >> 6) & 0x3F));
        put(0x80 | (r & 0x3F));
    } else {
        put(0xF0 | (r >> 18));
        put(0x80 | ((r >> 12) & 0x3F));
        put(0x80 | ((r >> 6) & 0x3F));
        put(0x80 | (r & 0x3F));
    }
}

std::string humanSize(double bytes) {
    return humanSizePrec(bytes, 4);
}

std::string humanSizePrec(double bytes, int precision) {
    return customSize(bytes, 1000.0, {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"},
                      precision);
}

std::string bytesSize(double bytes) {
    return customSize(bytes, 1024.0, {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"});
}

std::string humanDuration(double seconds) {
    auto s = static_cast<int64_t>(seconds);
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) return plural(s, "seconds");
    auto minutes = static_cast<int64_t>(seconds / 60);
    if (minutes == 1) return "About a minute";
    if (minutes < 60) return plural(minutes, "minutes");
    // go-units rounds to the nearest hour (half away from zero) from here on.
    auto hours = static_cast<int64_t>(std::floor(seconds / 3600 + 0.5));
    if (hours == 1) return "About an hour";
    if (hours < 48) return plural(hours, "hours");
    if (hours < 24 * 7 * 2) return plural(hours / 24, "days");
    if (hours < 24 * 30 * 2) return plural(hours / 24 / 7, "weeks");
    if (hours < 24 * 365 * 2) return plural(hours / 24 / 30, "months");
    return plural(static_cast<int64_t>(seconds / 3600) / 24 / 365, "years");
}

std::string timeAgo(int64_t unixSeconds, int64_t now) {
    return humanDuration(static_cast<double>(now - unixSeconds)) + " ago";
}

std::string goTimeString(int64_t t) {
    auto tm = localTm(t);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return std::string(buf) + " " + zoneSuffix(tm, false);
}

std::string rfc3339(int64_t t) {
    return rfc3339Local(t, "");
}

std::string rfc3339NanoFixed(int64_t unixNano) {
    int64_t sec = unixNano / 1000000000, nano = unixNano % 1000000000;
    if (nano < 0) {  // Go's time.Unix(0, n): the fraction counts forward from the second before
        nano += 1000000000;
        --sec;
    }
    return rfc3339Local(sec, fmt::format(".{:09d}", nano));
}

Result<double> parseDurationSeconds(std::string_view s) {
    return static_cast<double>(TRY(parseDurationNs(s))) / 1e9;
}

Result<int64_t> parseTimestamp(std::string_view s, int64_t now) {
    if (s != "0") {
        auto d = parseDurationSeconds(s);
        if (d) return static_cast<int64_t>(std::floor(static_cast<double>(now) - *d));
    }
    size_t dashes = 0;
    for (char c : s) dashes += c == '-';
    bool local = s.find_first_of("zZ+") == std::string_view::npos && dashes != 3;
    auto t = parseDateTime(s, local, now);
    if (t) return t;
    if (s.find('-') != std::string_view::npos) return t.error();
    // A unix timestamp, "seconds[.nanoseconds]".
    std::string_view sec = s.substr(0, s.find('.'));
    std::string_view frac = sec.size() < s.size() ? s.substr(sec.size() + 1) : "";
    auto allDigits = [](std::string_view x) {
        if (x.empty()) return false;
        for (char c : x)
            if (!isDigit(c)) return false;
        return true;
    };
    if (!allDigits(sec) || (sec.size() < s.size() && !allDigits(frac)) || sec.size() > 18)
        return invalid("failed to parse value as time or duration: \"{}\"", s);
    return static_cast<int64_t>(std::stoll(std::string(sec)));
}

std::string truncateId(std::string_view id) {
    if (id.starts_with("sha256:")) id.remove_prefix(7);
    return std::string(id.substr(0, 12));
}

size_t displayWidth(std::string_view s) {
    size_t w = 0;
    for (size_t i = 0; i < s.size();) w += static_cast<size_t>(runeWidth(decodeUtf8(s, i)));
    return w;
}

std::string ellipsis(std::string_view s, size_t width) {
    if (width == 0 || s.empty()) return "";
    std::vector<size_t> ends;  // byte offset after each rune
    std::vector<size_t> cols;  // display width up to and including each rune
    size_t total = 0;
    for (size_t i = 0; i < s.size();) {
        total += static_cast<size_t>(runeWidth(decodeUtf8(s, i)));
        ends.push_back(i);
        cols.push_back(total);
    }
    if (width == 1) return std::string(s.substr(0, ends[0]));
    bool ascii = ends.size() == s.size();
    if (ascii) {
        if (s.size() <= width) return std::string(s);
        return std::string(s.substr(0, width - 1)) + "\u2026";
    }
    if (total <= width) return std::string(s);
    for (size_t i = 0; i + 1 < cols.size(); ++i)
        if (cols[i] <= width - 1 && cols[i + 1] > width - 1)
            return std::string(s.substr(0, ends[i])) + "\u2026";
    return std::string(s);
}

}  // namespace berth::cli
