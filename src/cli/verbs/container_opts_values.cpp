// The Go-worded value parsers of the container flags: strings, numbers, IPs and MACs, csv
// records, paths, env files and -e values, --cpus and durations.
#include "cli/verbs/container_opts_internal.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>

#include "cli/units.h"

namespace berth::cli {

using copts::lower;
using copts::parseInt;
using nlohmann::json;

namespace copts {

std::string lower(std::string_view s) {
    std::string r(s);
    for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        auto p = s.find(sep, start);
        out.emplace_back(s.substr(start, p == std::string_view::npos ? p : p - start));
        if (p == std::string_view::npos) break;
        start = p + 1;
    }
    return out;
}

bool isIp(std::string_view s, bool* v6) {
    std::string t(s);
    unsigned char buf[16];
    if (inet_pton(AF_INET, t.c_str(), buf) == 1) {
        if (v6) *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, t.c_str(), buf) == 1) {
        if (v6) *v6 = true;
        return true;
    }
    return false;
}

// Go's strconv.ParseUint(s, 10, bits) with its error text.
Result<uint64_t> parseUint(std::string_view s, int bits) {
    std::string t(s);
    bool digits = !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
    if (!digits) return invalid("strconv.ParseUint: parsing \"{}\": invalid syntax", t);
    errno = 0;
    unsigned long long v = std::strtoull(t.c_str(), nullptr, 10);
    uint64_t max = bits >= 64 ? UINT64_MAX : ((uint64_t{1} << bits) - 1);
    if (errno == ERANGE || v > max)
        return invalid("strconv.ParseUint: parsing \"{}\": value out of range", t);
    return static_cast<uint64_t>(v);
}

Result<int64_t> parseInt(std::string_view s) {
    std::string t(s);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end) return invalid("strconv.ParseInt: parsing \"{}\": invalid syntax", t);
    if (errno == ERANGE) return invalid("strconv.ParseInt: parsing \"{}\": value out of range", t);
    return static_cast<int64_t>(v);
}

Result<bool> parseGoBool(std::string_view v) {
    if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
    if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
        return false;
    return invalid("invalid bool");
}

// Go's net.ParseMAC for the common colon/dash forms.
bool isMac(std::string_view s) {
    static const std::regex re("^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$");
    return std::regex_match(std::string(s), re);
}

// csv.Reader's reading of one record (quotes allowed, as in --mount "src=a,b").
Result<std::vector<std::string>> csvFields(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, wasQuoted = false;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < s.size() && s[i + 1] == '"') {
                    cur += '"';
                    i++;
                } else {
                    quoted = false;
                }
            } else {
                cur += c;
            }
        } else if (c == '"' && cur.empty() && !wasQuoted) {
            quoted = wasQuoted = true;
        } else if (c == ',') {
            out.push_back(std::move(cur));
            cur.clear();
            wasQuoted = false;
        } else {
            cur += c;
        }
    }
    if (quoted)
        return invalid(
            "parse error on line 1, column {}: extraneous or missing \" in "
            "quoted-field",
            s.size() + 1);
    out.push_back(std::move(cur));
    return out;
}

std::string absPath(const std::string& p) {
    char buf[PATH_MAX];
    std::string cwd = ::getcwd(buf, sizeof buf) ? buf : ".";
    std::vector<std::string> parts;
    for (auto& seg : split(cwd + "/" + p, '/')) {
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(seg);
    }
    std::string out;
    for (auto& s : parts) out += "/" + s;
    return out.empty() ? "/" : out;
}

// Go's map-of-strings from "k=v" (a bare "k" maps to "").
json kvMap(const std::vector<std::string>& kvs) {
    json m = json::object();
    for (auto& kv : kvs) {
        auto eq = kv.find('=');
        m[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    return m;
}

}  // namespace copts

Result<std::string> validateEnv(std::string_view v) {
    auto eq = v.find('=');
    std::string k(v.substr(0, eq));
    if (k.empty()) return invalid("invalid environment variable: {}", v);
    if (eq != std::string_view::npos) return std::string(v);
    if (const char* e = std::getenv(k.c_str())) return k + "=" + e;
    return std::string(v);
}

Result<std::vector<std::string>> readEnvFile(const std::string& path, bool lookupEnv) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int e = errno;
        return invalid("open {}: {}", path,
                       e == ENOENT ? "no such file or directory" : lower(std::strerror(e)));
    }
    std::vector<std::string> out;
    std::string line;
    bool first = true;
    int lineNo = 0;
    while (std::getline(in, line)) {
        lineNo++;
        if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
        first = false;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        size_t s = 0;
        while (s < line.size() && std::isspace(static_cast<unsigned char>(line[s]))) s++;
        std::string l = line.substr(s);
        if (l.empty() || l[0] == '#') continue;
        auto eq = l.find('=');
        std::string var = l.substr(0, eq);
        if (var.empty()) return invalid("no variable name on line '{}'", l);
        if (var.find_first_of(" \t") != std::string::npos)
            return invalid("variable '{}' contains whitespaces", var);
        if (eq != std::string::npos) {
            out.push_back(l);
        } else if (const char* e = lookupEnv ? std::getenv(var.c_str()) : nullptr) {
            out.push_back(var + "=" + e);
        } else {
            out.push_back(var);
        }
    }
    (void)lineNo;
    return out;
}

Result<int64_t> parseNanoCpus(std::string_view v) {
    // A rational number as big.Rat reads it: [-]digits[.digits] or a/b.
    static const std::regex dec("^([+-]?)([0-9]*)(?:\\.([0-9]*))?$");
    std::smatch m;
    std::string s(v);
    auto bad = [&] { return invalid("failed to parse {} as a rational number", s); };
    if (s.empty() || s == "." || !std::regex_match(s, m, dec)) {
        auto slash = s.find('/');
        if (slash == std::string::npos) return bad();
        auto a = parseInt(s.substr(0, slash));
        auto b = parseInt(s.substr(slash + 1));
        if (!a || !b || *b == 0) return bad();
        __int128 n = static_cast<__int128>(*a) * 1000000000;
        if (n % *b != 0) return invalid("value is too precise");
        return static_cast<int64_t>(n / *b);
    }
    std::string ip = m[2], fp = m[3];
    if (ip.empty() && fp.empty()) return bad();
    if (fp.size() > 9) {
        if (fp.find_first_not_of('0', 9) != std::string::npos)
            return invalid("value is too precise");
        fp.resize(9);
    }
    fp.resize(9, '0');
    __int128 n = 0;
    for (char c : ip + fp) {
        n = n * 10 + (c - '0');
        if (n > INT64_MAX) return bad();
    }
    if (m[1] == "-") n = -n;
    return static_cast<int64_t>(n);
}

Result<int64_t> parseDurationNs(std::string_view v) {
    auto secs = TRY(parseDurationSeconds(v));
    return static_cast<int64_t>(secs * 1e9 + (secs >= 0 ? 0.5 : -0.5));
}

}  // namespace berth::cli
