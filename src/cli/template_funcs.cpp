// The function library of the template engine: Go's builtins (not, len, index, slice, print,
// printf, println, eq, ne, lt, le, gt, ge; and/or short-circuit in the executor) and docker's
// (json, join, split, title, lower, upper, pad, truncate), with their argument checks.
#include "cli/format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace {

Result<std::string> wantString(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null() || v.is_discarded()) return invalid("invalid value; expected string");
    return invalid("wrong type for value; expected string; got {}", go::typeName(v));
}

Result<int64_t> wantInt(const json& v) {
    if (v.is_number_integer()) return v.get<int64_t>();
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
    if (a.is_number_integer() && b.is_number_integer()) {
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

}  // namespace

namespace go {

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

}  // namespace berth::cli
