#include "cli/verbs/info_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/units.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

const char* const kInfoFormatListUsage =
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting "
    "output with templates";

const char* const kInfoFormatJsonUsage =
    "Format output using a custom template:\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting "
    "output with templates";

namespace {

struct Port {
    std::string ip, type;
    int priv = 0, pub = 0;
};

std::string formGroup(const std::string& key, int first, int last) {
    std::string ip, type = key;
    if (auto slash = key.find('/'); slash != std::string::npos) {
        ip = key.substr(0, slash);
        type = key.substr(slash + 1);
    }
    std::string group = std::to_string(first);
    if (first != last) group += "-" + std::to_string(last);
    if (!ip.empty()) group = ip + ":" + group + "->" + group;
    return group + "/" + type;
}

}  // namespace

std::string infoDisplayablePorts(const json& ports) {
    if (!ports.is_array()) return "";
    std::vector<Port> list;
    for (auto& p : ports) {
        Port x;
        x.ip = p.value("IP", "");
        x.type = p.value("Type", "");
        x.priv = p.value("PrivatePort", 0);
        x.pub = p.value("PublicPort", 0);
        list.push_back(std::move(x));
    }
    std::stable_sort(list.begin(), list.end(), [](const Port& a, const Port& b) {
        if (a.priv != b.priv) return a.priv < b.priv;
        if (a.ip != b.ip) return a.ip < b.ip;
        if (a.pub != b.pub) return a.pub < b.pub;
        return a.type < b.type;
    });
    struct Group {
        int first, last;
    };
    std::map<std::string, Group> groups;
    std::vector<std::string> order, result, hostMappings;
    for (auto& p : list) {
        std::string key = p.type;
        if (!p.ip.empty()) {
            if (p.pub != p.priv) {
                hostMappings.push_back(fmt::format("{}:{}->{}/{}", p.ip, p.pub, p.priv, p.type));
                continue;
            }
            key = p.ip + "/" + p.type;
        }
        auto it = groups.find(key);
        if (it == groups.end()) {
            groups[key] = {p.priv, p.priv};
            order.push_back(key);
            continue;
        }
        if (p.priv == it->second.last + 1) {
            it->second.last = p.priv;
            continue;
        }
        result.push_back(formGroup(key, it->second.first, it->second.last));
        it->second = {p.priv, p.priv};
    }
    for (auto& k : order) result.push_back(formGroup(k, groups[k].first, groups[k].last));
    for (auto& h : hostMappings) result.push_back(h);
    std::string s;
    for (auto& r : result) s += (s.empty() ? "" : ", ") + r;
    return s;
}

std::string infoIndentJson(std::string_view raw) {
    std::string out;
    out.reserve(raw.size() * 2);
    int depth = 0;
    bool needIndent = false;  // just after '[' or '{': the next value starts a new line
    auto newline = [&](int d) {
        out += '\n';
        out.append(static_cast<size_t>(d) * 4, ' ');
    };
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        if (needIndent && c != ']' && c != '}') {
            needIndent = false;
            newline(++depth);
        }
        switch (c) {
            case '"': {
                size_t j = i + 1;
                while (j < raw.size() && raw[j] != '"') j += raw[j] == '\\' ? 2 : 1;
                out.append(raw.substr(i, j + 1 - i));
                i = j;
                break;
            }
            case '{':
            case '[':
                out += c;
                needIndent = true;
                break;
            case '}':
            case ']':
                if (needIndent) {
                    needIndent = false;  // empty: "{}" / "[]" stay compact
                } else {
                    newline(--depth);
                }
                out += c;
                break;
            case ',':
                out += c;
                newline(depth);
                break;
            case ':':
                out += ": ";
                break;
            default:
                out += c;
        }
    }
    return out;
}

Result<json> infoInspectContainer(Ctx& ctx, const std::string& name) {
    return apiGet(ctx, "/containers/" + urlEncode(name) + "/json");
}

Result<std::string> infoApiTimestamp(std::string_view value) {
    if (value.empty()) return std::string();
    bool numeric = std::all_of(value.begin(), value.end(),
                               [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    if (numeric && value.find('.') == value.rfind('.')) return std::string(value);
    int64_t t = TRY(parseTimestamp(value, static_cast<int64_t>(::time(nullptr))));
    return fmt::format("{}.000000000", t);
}

}  // namespace berth::cli
