#include "cli/verbs/sys_format.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace berth::cli {

using nlohmann::json;

bool sysNaturalLess(std::string_view a, std::string_view b) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            size_t i2 = i, j2 = j;
            while (i2 < a.size() && digit(a[i2])) i2++;
            while (j2 < b.size() && digit(b[j2])) j2++;
            auto na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
            while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
            while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
            if (na.size() != nb.size()) return na.size() < nb.size();
            if (na != nb) return na < nb;
            i = i2;
            j = j2;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            i++;
            j++;
        }
    }
    return a.size() - i < b.size() - j;
}

std::string sysGoTime(std::string_view t) {
    if (t.size() < 20 || t[10] != 'T') return std::string(t);
    std::string out(t.substr(0, 10));
    out += ' ';
    std::string_view rest = t.substr(11);
    // Go prints the fraction without trailing zeros (".5", none for ".000").
    auto clock = [](std::string_view c) {
        std::string s(c);
        if (s.find('.') == std::string::npos) return s;
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    };
    if (!rest.empty() && rest.back() == 'Z') {
        rest.remove_suffix(1);
        return out + clock(rest) + " +0000 UTC";
    }
    auto z = rest.find_first_of("+-");
    if (z == std::string_view::npos) return out + clock(rest);
    std::string off(rest.substr(z));
    off.erase(std::remove(off.begin(), off.end(), ':'), off.end());
    return out + clock(rest.substr(0, z)) + " " + off + " " + off;
}

std::string sysJoinLabels(const json& labels) {
    std::string s;
    if (!labels.is_object()) return s;
    for (auto& [k, v] : labels.items()) {
        if (!s.empty()) s += ",";
        s += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return s;
}

std::vector<std::string> sysSplitCommas(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (auto& v : values) {
        size_t start = 0;
        while (true) {
            auto c = v.find(',', start);
            out.push_back(v.substr(start, c == std::string::npos ? std::string::npos : c - start));
            if (c == std::string::npos) break;
            start = c + 1;
        }
    }
    return out;
}

}  // namespace berth::cli
