// docker's query conventions: filters, integers, timestamps; base64 for headers; events.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "api/context.h"
#include "common/units.h"
#include "engine/events.h"

namespace berth::api {

Result<engine::Filters> parseFilters(const Exchange& ex, const std::vector<std::string>& allowed) {
    engine::Filters out;
    auto text = ex.req().q("filters");
    if (text.empty()) return out;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return invalid("invalid filter: the filters parameter is not a JSON object");
    for (auto& [k, v] : j.items()) {
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
            return invalid("invalid filter '{}'", k);
        auto& dst = out[k];
        if (v.is_object()) {  // {"label":{"a=b":true}}
            for (auto& [val, on] : v.items())
                if (!on.is_boolean() || on.get<bool>()) dst.push_back(val);
        } else if (v.is_array()) {  // {"label":["a=b"]}
            for (auto& e : v) {
                if (!e.is_string())
                    return invalid("invalid filter '{}': values must be strings", k);
                dst.push_back(e.get<std::string>());
            }
        } else if (v.is_string()) {
            dst.push_back(v.get<std::string>());
        } else {
            return invalid("invalid filter '{}'", k);
        }
    }
    return out;
}

Result<int64_t> parseInt(const std::string& s, const std::string& what) {
    if (s.empty()) return invalid("invalid {}: empty value", what);
    size_t pos = 0;
    try {
        long long v = std::stoll(s, &pos, 10);
        if (pos != s.size()) throw std::invalid_argument(s);
        return static_cast<int64_t>(v);
    } catch (const std::exception&) {
        return invalid("invalid {}: strconv.Atoi: parsing \"{}\": invalid syntax", what, s);
    }
}

Result<int64_t> queryInt(const Request& r, const std::string& key, int64_t def) {
    auto v = r.q(key);
    if (v.empty()) return def;
    return parseInt(v, key);
}

namespace {

int64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

Result<int64_t> parseTimestamp(const std::string& s) {
    if (s.empty()) return int64_t{0};
    // seconds[.nanoseconds], as the docker CLI sends after its own parsing
    if (s.find_first_not_of("0123456789.") == std::string::npos) {
        auto dot = s.find('.');
        int64_t sec = TRY(parseInt(s.substr(0, dot), "timestamp"));
        int64_t ns = 0;
        if (dot != std::string::npos) {
            auto frac = s.substr(dot + 1).substr(0, 9);
            if (!frac.empty()) {
                frac.append(9 - frac.size(), '0');
                ns = TRY(parseInt(frac, "timestamp"));
            }
        }
        if (sec >= INT64_MAX / 1000000000) return INT64_MAX;  // "forever"
        return sec * 1000000000 + ns;
    }
    if (auto d = parseDurationNs(s)) return nowNs() - *d;  // "10m": that long ago
    // RFC 3339 (with optional fraction and Z or offset)
    tm t{};
    const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
    if (!rest) rest = strptime(s.c_str(), "%Y-%m-%d", &t);
    if (!rest) return invalid("invalid timestamp \"{}\"", s);
    int64_t ns = 0;
    if (*rest == '.') {
        rest++;
        std::string frac;
        while (std::isdigit(static_cast<unsigned char>(*rest))) frac += *rest++;
        frac = frac.substr(0, 9);
        frac.append(9 - frac.size(), '0');
        ns = std::stoll(frac);
    }
    int64_t off = 0;
    if (*rest == '+' || *rest == '-') {
        int hh = 0, mm = 0;
        if (sscanf(rest + 1, "%d:%d", &hh, &mm) >= 1)
            off = (hh * 3600 + mm * 60) * (*rest == '-' ? -1 : 1);
    }
    return (int64_t(timegm(&t)) - off) * 1000000000 + ns;
}

std::string rfc3339Nano(int64_t unixNs) {
    time_t sec = static_cast<time_t>(unixNs / 1000000000);
    tm t{};
    gmtime_r(&sec, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    return fmt::format("{}.{:09d}Z", buf, unixNs % 1000000000);
}

std::string base64Encode(std::string_view s) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (i + 1 == s.size()) {
        uint32_t v = uint8_t(s[i]) << 16;
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == s.size()) {
        uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

Result<std::string> base64Decode(std::string_view s) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        if (c == '=' || c == '\n' || c == '\r') continue;
        int v = val(c);
        if (v < 0) return invalid("invalid base64 data");
        acc = (acc << 6) | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

void publishEvent(Context& c, const std::string& type, const std::string& action,
                  const std::string& id, std::map<std::string, std::string> attrs) {
    engine::Event e;
    e.type = type;
    e.action = action;
    e.id = id;
    e.attributes = std::move(attrs);
    c.engine.events().publish(std::move(e));
}

}  // namespace berth::api
