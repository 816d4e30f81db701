// YAML <-> JSON with source marks (see yaml.h).
#include "compose/yaml.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <vector>

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

namespace berth::compose {

using nlohmann::json;

namespace {

constexpr int kMaxDepth = 256;
// Bounds alias expansion ("billion laughs"): no Compose file has millions of nodes.
constexpr size_t kMaxNodes = 500'000;

bool allDigits(std::string_view s, int base) {
    if (s.empty()) return false;
    for (char c : s) {
        int d = -1;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        if (d < 0 || d >= base) return false;
    }
    return true;
}

// An integer literal as go-yaml reads one (strconv.ParseInt base 0): decimal, 0x, 0o, 0b and a
// leading 0 for octal. Empty optional when `s` is not one (or overflows).
std::optional<int64_t> parseIntLiteral(std::string_view s) {
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s.remove_prefix(2);
    else if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        base = 8, s.remove_prefix(2);
    else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, s.remove_prefix(2);
    else if (s.size() > 1 && s[0] == '0' && allDigits(s, 8))
        base = 8, s.remove_prefix(1);
    if (!allDigits(s, base)) return std::nullopt;
    unsigned long long v = 0;
    for (char c : s) {
        int d = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
        if (v > (static_cast<unsigned long long>(INT64_MAX) + 1 - d) / base) return std::nullopt;
        v = v * base + d;
    }
    if (!neg && v > static_cast<unsigned long long>(INT64_MAX)) return std::nullopt;
    return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool isFloatLiteral(std::string_view s) {
    size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) i++;
    size_t intDigits = 0, fracDigits = 0;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) i++, intDigits++;
    if (i < s.size() && s[i] == '.') {
        i++;
        while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) i++, fracDigits++;
    }
    if (intDigits == 0 && fracDigits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) i++;
        size_t expDigits = 0;
        while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) i++, expDigits++;
        if (expDigits == 0) return false;
    }
    return i == s.size();
}

struct Converter {
    const std::string& file;
    YamlDoc& doc;
    size_t nodes = 0;

    Mark markOf(const YAML::Node& n) const {
        auto m = n.Mark();
        return Mark{file, m.line + 1, m.column + 1};
    }

    Error errorAt(const YAML::Node& n, const std::string& msg) const {
        Mark m = markOf(n);
        return invalid("{}:{}:{}: {}", file, m.line, m.column, msg);
    }

    Result<json> scalar(const YAML::Node& n) const {
        const std::string& tag = n.Tag();
        const std::string& text = n.Scalar();
        if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(text);
        json v = typePlainScalar(text);
        if (tag == "tag:yaml.org,2002:int" && !v.is_number_integer())
            return errorAt(n, fmt::format("cannot read \"{}\" as an integer", text));
        if (tag == "tag:yaml.org,2002:float") {
            if (!v.is_number())
                return errorAt(n, fmt::format("cannot read \"{}\" as a float", text));
            return json(v.get<double>());
        }
        if (tag == "tag:yaml.org,2002:bool" && !v.is_boolean())
            return errorAt(n, fmt::format("cannot read \"{}\" as a boolean", text));
        return v;
    }

    Result<json> convert(const YAML::Node& n, const std::string& ptr, int depth) {
        if (depth > kMaxDepth) return errorAt(n, "document nested too deeply");
        if (++nodes > kMaxNodes) return errorAt(n, "document too large (alias expansion?)");
        const std::string& tag = n.Tag();
        if (tag == "!reset" || tag == "!override") doc.tags[ptr] = tag;
        switch (n.Type()) {
            case YAML::NodeType::Undefined:
            case YAML::NodeType::Null:
                return json(nullptr);
            case YAML::NodeType::Scalar:
                return scalar(n);
            case YAML::NodeType::Sequence: {
                json arr = json::array();
                size_t i = 0;
                for (const auto& item : n) {
                    std::string p = pointerAppend(ptr, i++);
                    doc.marks[p] = markOf(item);
                    arr.push_back(TRY(convert(item, p, depth + 1)));
                }
                return arr;
            }
            case YAML::NodeType::Map:
                return convertMap(n, ptr, depth);
        }
        return json(nullptr);
    }

    Result<json> convertMap(const YAML::Node& n, const std::string& ptr, int depth) {
        json obj = json::object();
        std::map<std::string, int> keyLines;
        std::vector<YAML::Node> mergeSources;
        for (const auto& entry : n) {
            // Copies: yaml-cpp's iterator hands out a temporary pair.
            const YAML::Node k = entry.first;
            const YAML::Node value = entry.second;
            if (!k.IsScalar() && !k.IsNull()) return errorAt(k, "mapping keys must be scalars");
            std::string key = k.IsScalar() ? k.Scalar() : "null";
            if (key == "<<" && k.Tag() == "?") {
                const YAML::Node& v = value;
                if (v.IsMap()) {
                    mergeSources.push_back(v);
                } else if (v.IsSequence()) {
                    for (const auto& s : v) {
                        if (!s.IsMap()) return errorAt(s, "merge key `<<` takes maps only");
                        mergeSources.push_back(s);
                    }
                } else {
                    return errorAt(v, "merge key `<<` takes a map or a list of maps");
                }
                continue;
            }
            Mark km = markOf(k);
            if (auto prev = keyLines.find(key); prev != keyLines.end())
                return errorAt(k, fmt::format("mapping key \"{}\" already defined at line {}", key,
                                              prev->second));
            keyLines[key] = km.line;
            std::string p = pointerAppend(ptr, key);
            doc.marks[p] = km;
            obj[key] = TRY(convert(value, p, depth + 1));
        }
        // Merge sources fill in what the map does not say itself; earlier sources win.
        for (const auto& src : mergeSources) {
            YamlDoc tmp;
            Converter sub{file, tmp, nodes};
            json merged = TRY(sub.convertMap(src, ptr, depth + 1));
            nodes = sub.nodes;
            for (auto& [key, value] : merged.items()) {
                if (obj.contains(key)) continue;
                obj[key] = value;
                std::string p = pointerAppend(ptr, key);
                copyMarks(tmp.marks, p, doc.marks, p);
                for (auto t = tmp.tags.lower_bound(p); t != tmp.tags.end(); ++t) {
                    if (t->first.compare(0, p.size(), p) != 0) break;
                    doc.tags.insert(*t);
                }
            }
        }
        return obj;
    }
};

// --- emitting ---

bool isYaml11Bool(std::string_view s) {
    static const std::set<std::string_view> words = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                     "N",  "no",  "No",  "NO",  "on",  "On",
                                                     "ON", "off", "Off", "OFF"};
    return words.count(s) > 0;
}

bool needsQuotes(std::string_view s) {
    if (s.empty()) return true;
    if (!typePlainScalar(s).is_string() || isYaml11Bool(s)) return true;
    if (s == ".inf" || s == "-.inf" || s == "+.inf" || s == ".nan" || s == ".Inf" || s == ".INF" ||
        s == ".NaN" || s == ".NAN")
        return true;
    static const std::string_view indicators = ",[]{}#&*!|>'\"%@`";
    if (indicators.find(s[0]) != std::string_view::npos) return true;
    // "-x", "?x" and ":x" are plain scalars; "- x", "-" and friends are not.
    if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && (s.size() == 1 || s[1] == ' ')) return true;
    if (s.substr(0, 3) == "...") return true;
    if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
    if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos)
        return true;
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

std::string yamlQuoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                    out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
                else
                    out += c;
        }
    }
    return out + "\"";
}

std::string scalarText(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number_float()) {
        double d = v.get<double>();
        if (std::isnan(d)) return ".nan";
        if (std::isinf(d)) return d < 0 ? "-.inf" : ".inf";
        std::string t = v.dump();
        if (t.find_first_of(".eE") == std::string::npos) t += ".0";
        return t;
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        return needsQuotes(s) ? yamlQuoted(s) : s;
    }
    if (v.is_array()) return "[]";
    if (v.is_object()) return "{}";
    return "null";
}

bool isBlock(const json& v) {
    return (v.is_object() || v.is_array()) && !v.empty();
}

void emit(const json& v, int indent, std::string& out);

void emitObject(const json& v, int indent, std::string& out) {
    std::string pad(indent, ' ');
    for (auto& [k, item] : v.items()) {
        out += pad + (needsQuotes(k) ? yamlQuoted(k) : k) + ":";
        if (isBlock(item)) {
            out += "\n";
            emit(item, indent + 2, out);
        } else {
            out += " " + scalarText(item) + "\n";
        }
    }
}

void emitArray(const json& v, int indent, std::string& out) {
    std::string pad(indent, ' ');
    for (const auto& item : v) {
        if (!isBlock(item)) {
            out += pad + "- " + scalarText(item) + "\n";
            continue;
        }
        // Emit the item two columns deeper, then put the dash in the first line's indentation.
        std::string sub;
        emit(item, indent + 2, sub);
        sub.replace(0, indent + 2, pad + "- ");
        out += sub;
    }
}

void emit(const json& v, int indent, std::string& out) {
    if (v.is_object() && !v.empty())
        emitObject(v, indent, out);
    else if (v.is_array() && !v.empty())
        emitArray(v, indent, out);
    else
        out += std::string(indent, ' ') + scalarText(v) + "\n";
}

}  // namespace

json typePlainScalar(std::string_view s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    if (auto i = parseIntLiteral(s)) return *i;
    if (isFloatLiteral(s)) {
        double d = std::strtod(std::string(s).c_str(), nullptr);
        if (std::isfinite(d)) return d;
    }
    return std::string(s);
}

Result<YamlDoc> parseYamlDoc(std::string_view text, const std::string& fileName) {
    YamlDoc doc;
    try {
        std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
        if (docs.empty()) return doc;
        if (docs.size() > 1)
            return invalid("{}: {} YAML documents in one file; a Compose file holds one", fileName,
                           docs.size());
        Converter c{fileName, doc};
        doc.marks[""] = c.markOf(docs[0]);
        doc.value = TRY(c.convert(docs[0], "", 0));
    } catch (const YAML::Exception& e) {
        return invalid("{}:{}:{}: {}", fileName, e.mark.line + 1, e.mark.column + 1, e.msg);
    } catch (const std::exception& e) {
        return invalid("{}: {}", fileName, e.what());
    }
    return doc;
}

Result<json> parseYaml(std::string_view text, const std::string& fileName, Marks* marks) {
    YamlDoc doc = TRY(parseYamlDoc(text, fileName));
    if (marks) *marks = std::move(doc.marks);
    return std::move(doc.value);
}

std::string toYaml(const json& value) {
    std::string out;
    emit(value, 0, out);
    return out;
}

std::string pointerAppend(std::string_view pointer, std::string_view key) {
    std::string out(pointer);
    out += '/';
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string pointerAppend(std::string_view pointer, size_t index) {
    return std::string(pointer) + "/" + std::to_string(index);
}

std::string pointerToPath(std::string_view pointer) {
    std::string out;
    for (size_t i = 0; i < pointer.size(); i++) {
        char c = pointer[i];
        if (c == '/') {
            if (i > 0) out += '.';
        } else if (c == '~' && i + 1 < pointer.size()) {
            out += pointer[i + 1] == '1' ? '/' : '~';
            i++;
        } else {
            out += c;
        }
    }
    return out;
}

const Mark* findMark(const Marks& marks, std::string_view pointer) {
    std::string p(pointer);
    while (true) {
        if (auto it = marks.find(p); it != marks.end()) return &it->second;
        if (p.empty()) return nullptr;
        p.resize(p.rfind('/'));
    }
}

std::string markPrefix(const Marks& marks, std::string_view pointer,
                       const std::string& fallbackFile) {
    const Mark* m = findMark(marks, pointer);
    if (!m) return fallbackFile;
    return fmt::format("{}:{}", m->file, m->line);
}

namespace {
// Iterate the subtree at `ptr`: ptr itself and every key starting with ptr + "/".
template <typename Map, typename F>
void forSubtree(Map& marks, std::string_view ptr, F f) {
    auto it = marks.lower_bound(std::string(ptr));
    while (it != marks.end()) {
        const std::string& k = it->first;
        if (k.compare(0, ptr.size(), ptr) != 0) break;
        if (k.size() > ptr.size() && k[ptr.size()] != '/') {
            ++it;
            continue;
        }
        it = f(it);
    }
}
}  // namespace

void copyMarks(const Marks& src, std::string_view from, Marks& out, std::string_view to) {
    std::vector<std::pair<std::string, Mark>> found;
    forSubtree(src, from, [&](Marks::const_iterator it) {
        found.emplace_back(std::string(to) + it->first.substr(from.size()), it->second);
        return std::next(it);
    });
    for (auto& [k, m] : found) out[k] = std::move(m);
}

void eraseMarks(Marks& marks, std::string_view pointer) {
    forSubtree(marks, pointer, [&](Marks::iterator it) { return marks.erase(it); });
}

}  // namespace berth::compose
