#include "compose/schema.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace berth::compose {

extern const char kComposeSchema[];

using json = nlohmann::json;

// Named (not anonymous) so Schema::Impl may hold these without -Wsubobject-linkage.
namespace schemaimpl {

enum TypeBit : unsigned {
    kNull = 1,
    kBoolean = 2,
    kObject = 4,
    kArray = 8,
    kNumber = 16,
    kString = 32,
    kInteger = 64,
};
constexpr unsigned kAnyType = 127;

struct Pattern {
    std::string source;
    std::regex re;
};

struct Bound {
    double value = 0;
    std::string text;  // as written in the schema, for messages
};

struct Node {
    bool isBool = false;  // a `true` / `false` schema
    bool boolValue = true;
    unsigned types = 0;  // the `type` keyword; 0 when absent
    std::optional<json> enumValues;
    std::optional<json> constValue;
    std::map<std::string, const Node*> properties;
    std::vector<std::pair<Pattern, const Node*>> patternProperties;
    const Node* additionalProperties = nullptr;
    std::vector<std::string> required;
    std::optional<uint64_t> minProperties, maxProperties, minItems, maxItems, minLength, maxLength;
    const Node* propertyNames = nullptr;
    std::map<std::string, std::vector<std::string>> depRequired;
    std::map<std::string, const Node*> depSchemas;
    const Node* items = nullptr;
    std::vector<const Node*> tupleItems;
    bool hasTuple = false;
    const Node* additionalItems = nullptr;
    const Node* contains = nullptr;
    bool uniqueItems = false;
    std::optional<Bound> minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf;
    std::optional<Pattern> pattern;
    std::vector<const Node*> allOf, anyOf, oneOf;
    const Node* notSchema = nullptr;
    const Node* ifSchema = nullptr;
    const Node* thenSchema = nullptr;
    const Node* elseSchema = nullptr;
    std::string ref;
    const Node* refTarget = nullptr;
    // The types a value may have to possibly pass (through $ref and combinators); "number"
    // includes "integer". Picks the oneOf branch worth reporting.
    unsigned shallowTypes = kAnyType;
};

}  // namespace schemaimpl

struct Schema::Impl {
    std::deque<schemaimpl::Node> nodes;  // stable addresses
    const schemaimpl::Node* root = nullptr;
};

namespace {

using namespace schemaimpl;

// "number" admits integers too.
unsigned widen(unsigned t) {
    return (t & kNumber) ? (t | kInteger) : t;
}

unsigned instanceBits(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return kNull;
        case json::value_t::boolean:
            return kBoolean;
        case json::value_t::object:
            return kObject;
        case json::value_t::array:
            return kArray;
        case json::value_t::string:
            return kString;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return kInteger | kNumber;
        case json::value_t::number_float: {
            double d = v.get<double>();
            return std::isfinite(d) && d == std::floor(d) ? (kInteger | kNumber) : kNumber;
        }
        default:
            return 0;
    }
}

// "must be a string", "must be a string or number", "must be a string, list or null".
std::string mustBe(unsigned mask) {
    std::vector<std::string> names;
    if (mask & kString) names.emplace_back("string");
    if (mask & kNumber) {
        names.emplace_back("number");
    } else if (mask & kInteger) {
        names.emplace_back("integer");
    }
    if (mask & kBoolean) names.emplace_back("boolean");
    if (mask & kObject) names.emplace_back("mapping");
    if (mask & kArray) names.emplace_back("list");
    if (mask & kNull) names.emplace_back("null");
    if (names.empty()) return "is not allowed";
    std::string out = "must be ";
    if (names[0] == "integer") {
        out += "an ";
    } else if (names[0] != "null") {
        out += "a ";
    }
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
        out += names[i];
    }
    return out;
}

std::string render(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string escapeToken(std::string_view t) {
    std::string out;
    for (char c : t) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

bool search(const Pattern& p, const std::string& s) {
    try {
        return std::regex_search(s, p.re);
    } catch (const std::regex_error&) {
        return false;  // too complex for std::regex: treat as no match
    }
}

class Compiler {
  public:
    explicit Compiler(std::deque<Node>& nodes) : nodes_(nodes) {}

    Result<Node*> compile(const json& s, const std::string& ptr) {
        Node* n = &nodes_.emplace_back();
        byPointer_[ptr] = n;
        if (s.is_boolean()) {
            n->isBool = true;
            n->boolValue = s.get<bool>();
            return n;
        }
        if (!s.is_object()) return bad(ptr, "a schema must be an object or a boolean");
        if (auto d = s.find("definitions"); d != s.end()) TRY(compileMap(*d, ptr + "/definitions"));
        if (auto d = s.find("$defs"); d != s.end()) TRY(compileMap(*d, ptr + "/$defs"));
        if (auto r = s.find("$ref"); r != s.end()) {
            if (!r->is_string()) return bad(ptr, "$ref must be a string");
            n->ref = r->get<std::string>();
            refs_.push_back(n);
            return n;  // draft-07: other keywords beside $ref are ignored
        }
        for (auto it = s.begin(); it != s.end(); ++it) TRY(keyword(n, it.key(), it.value(), ptr));
        return n;
    }

    // Links $refs and computes shallowTypes.
    Status finish() {
        for (Node* n : refs_) {
            if (n->ref.empty() || n->ref[0] != '#') {
                return invalid("compose schema: unsupported $ref \"{}\"", n->ref);
            }
            auto it = byPointer_.find(n->ref.substr(1));
            if (it == byPointer_.end()) {
                return invalid("compose schema: unresolvable $ref \"{}\"", n->ref);
            }
            n->refTarget = it->second;
        }
        for (Node& n : nodes_) n.shallowTypes = shallow(&n, 0);
        return {};
    }

  private:
    Error bad(const std::string& ptr, std::string_view what) const {
        return invalid("compose schema at #{}: {}", ptr, what);
    }

    Status compileMap(const json& m, const std::string& ptr) {
        if (!m.is_object()) return bad(ptr, "must be an object of schemas");
        for (auto it = m.begin(); it != m.end(); ++it) {
            TRY(compile(it.value(), ptr + "/" + escapeToken(it.key())));
        }
        return {};
    }

    Result<std::vector<const Node*>> compileList(const json& a, const std::string& ptr) {
        if (!a.is_array() || a.empty()) return bad(ptr, "must be a non-empty array of schemas");
        std::vector<const Node*> out;
        for (size_t i = 0; i < a.size(); ++i) {
            out.push_back(TRY(compile(a[i], ptr + "/" + std::to_string(i))));
        }
        return out;
    }

    Result<Pattern> regex(const json& v, const std::string& ptr) {
        if (!v.is_string()) return bad(ptr, "a pattern must be a string");
        Pattern p;
        p.source = v.get<std::string>();
        try {
            p.re = std::regex(p.source, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return bad(ptr, fmt::format("bad pattern \"{}\": {}", p.source, e.what()));
        }
        return p;
    }

    Result<uint64_t> count(const json& v, const std::string& ptr) {
        if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
            return bad(ptr, "must be a non-negative integer");
        }
        return v.get<uint64_t>();
    }

    Result<Bound> bound(const json& v, const std::string& ptr) {
        if (!v.is_number()) return bad(ptr, "must be a number");
        return Bound{v.get<double>(), v.dump()};
    }

    Result<unsigned> typeBits(const json& v, const std::string& ptr) {
        static const std::map<std::string, unsigned, std::less<>> kNames{
            {"null", kNull},     {"boolean", kBoolean}, {"object", kObject},  {"array", kArray},
            {"number", kNumber}, {"string", kString},   {"integer", kInteger}};
        unsigned bits = 0;
        auto one = [&](const json& t) -> Status {
            auto it = t.is_string() ? kNames.find(t.get<std::string>()) : kNames.end();
            if (it == kNames.end()) return bad(ptr, fmt::format("unknown type {}", t.dump()));
            bits |= it->second;
            return {};
        };
        if (v.is_array()) {
            for (const auto& t : v) TRY(one(t));
        } else {
            TRY(one(v));
        }
        if (bits == 0) return bad(ptr, "empty type list");
        return bits;
    }

    Status keyword(Node* n, const std::string& k, const json& v, const std::string& base) {
        std::string ptr = base + "/" + escapeToken(k);
        if (k == "type") {
            n->types = TRY(typeBits(v, ptr));
        } else if (k == "enum") {
            if (!v.is_array()) return bad(ptr, "enum must be an array");
            n->enumValues = v;
        } else if (k == "const") {
            n->constValue = v;
        } else if (k == "properties") {
            if (!v.is_object()) return bad(ptr, "must be an object of schemas");
            for (auto it = v.begin(); it != v.end(); ++it) {
                n->properties[it.key()] =
                    TRY(compile(it.value(), ptr + "/" + escapeToken(it.key())));
            }
        } else if (k == "patternProperties") {
            if (!v.is_object()) return bad(ptr, "must be an object of schemas");
            for (auto it = v.begin(); it != v.end(); ++it) {
                std::string sub = ptr + "/" + escapeToken(it.key());
                Pattern p = TRY(regex(json(it.key()), sub));
                n->patternProperties.emplace_back(std::move(p), TRY(compile(it.value(), sub)));
            }
        } else if (k == "additionalProperties") {
            n->additionalProperties = TRY(compile(v, ptr));
        } else if (k == "required") {
            if (!v.is_array()) return bad(ptr, "required must be an array of strings");
            for (const auto& r : v) {
                if (!r.is_string()) return bad(ptr, "required must be an array of strings");
                n->required.push_back(r.get<std::string>());
            }
        } else if (k == "minProperties") {
            n->minProperties = TRY(count(v, ptr));
        } else if (k == "maxProperties") {
            n->maxProperties = TRY(count(v, ptr));
        } else if (k == "propertyNames") {
            n->propertyNames = TRY(compile(v, ptr));
        } else if (k == "dependencies") {
            if (!v.is_object()) return bad(ptr, "must be an object");
            for (auto it = v.begin(); it != v.end(); ++it) {
                if (it.value().is_array()) {
                    for (const auto& r : it.value()) {
                        if (!r.is_string()) return bad(ptr, "dependencies must name properties");
                        n->depRequired[it.key()].push_back(r.get<std::string>());
                    }
                } else {
                    std::string sub = ptr + "/" + escapeToken(it.key());
                    n->depSchemas[it.key()] = TRY(compile(it.value(), sub));
                }
            }
        } else if (k == "items") {
            if (v.is_array()) {
                n->hasTuple = true;
                for (size_t i = 0; i < v.size(); ++i) {
                    n->tupleItems.push_back(TRY(compile(v[i], ptr + "/" + std::to_string(i))));
                }
            } else {
                n->items = TRY(compile(v, ptr));
            }
        } else if (k == "additionalItems") {
            n->additionalItems = TRY(compile(v, ptr));
        } else if (k == "contains") {
            n->contains = TRY(compile(v, ptr));
        } else if (k == "minItems") {
            n->minItems = TRY(count(v, ptr));
        } else if (k == "maxItems") {
            n->maxItems = TRY(count(v, ptr));
        } else if (k == "uniqueItems") {
            if (!v.is_boolean()) return bad(ptr, "must be a boolean");
            n->uniqueItems = v.get<bool>();
        } else if (k == "minimum") {
            n->minimum = TRY(bound(v, ptr));
        } else if (k == "maximum") {
            n->maximum = TRY(bound(v, ptr));
        } else if (k == "exclusiveMinimum") {
            n->exclusiveMinimum = TRY(bound(v, ptr));
        } else if (k == "exclusiveMaximum") {
            n->exclusiveMaximum = TRY(bound(v, ptr));
        } else if (k == "multipleOf") {
            n->multipleOf = TRY(bound(v, ptr));
            if (n->multipleOf->value <= 0) return bad(ptr, "must be greater than 0");
        } else if (k == "minLength") {
            n->minLength = TRY(count(v, ptr));
        } else if (k == "maxLength") {
            n->maxLength = TRY(count(v, ptr));
        } else if (k == "pattern") {
            n->pattern = TRY(regex(v, ptr));
        } else if (k == "allOf") {
            n->allOf = TRY(compileList(v, ptr));
        } else if (k == "anyOf") {
            n->anyOf = TRY(compileList(v, ptr));
        } else if (k == "oneOf") {
            n->oneOf = TRY(compileList(v, ptr));
        } else if (k == "not") {
            n->notSchema = TRY(compile(v, ptr));
        } else if (k == "if") {
            n->ifSchema = TRY(compile(v, ptr));
        } else if (k == "then") {
            n->thenSchema = TRY(compile(v, ptr));
        } else if (k == "else") {
            n->elseSchema = TRY(compile(v, ptr));
        }
        // Anything else (format, title, description, default, deprecated, $schema, $id,
        // $comment, examples, definitions handled above) does not constrain the value.
        return {};
    }

    unsigned shallow(const Node* n, int depth) const {
        if (depth > 64) return kAnyType;  // a $ref cycle: assume anything
        if (n->isBool) return n->boolValue ? kAnyType : 0;
        if (n->refTarget) return shallow(n->refTarget, depth + 1);
        unsigned t = n->types ? widen(n->types) : kAnyType;
        for (const auto* list : {&n->oneOf, &n->anyOf}) {
            if (list->empty()) continue;
            unsigned u = 0;
            for (const Node* b : *list) u |= shallow(b, depth + 1);
            t &= u;
        }
        for (const Node* b : n->allOf) t &= shallow(b, depth + 1);
        return t;
    }

    std::deque<Node>& nodes_;
    std::map<std::string, Node*> byPointer_;
    std::vector<Node*> refs_;
};

class Validator {
  public:
    std::vector<SchemaIssue> run(const Node* root, const json& doc) {
        std::vector<SchemaIssue> out;
        check(root, doc, out);
        // Combinators may report the same thing twice (allOf branches, nested refs).
        std::vector<SchemaIssue> unique;
        for (auto& i : out) {
            bool seen = false;
            for (const auto& u : unique) {
                seen = seen || (u.pointer == i.pointer && u.message == i.message);
            }
            if (!seen) unique.push_back(std::move(i));
        }
        return unique;
    }

  private:
    std::string pointer() const {
        std::string p;
        for (const auto& t : path_) p += "/" + escapeToken(t);
        return p;
    }
    std::string dotted() const {
        std::string p;
        for (const auto& t : path_) p += (p.empty() ? "" : ".") + t;
        return p;
    }
    std::string where() const {
        std::string d = dotted();
        return d.empty() ? "(root)" : d;
    }
    void add(std::vector<SchemaIssue>& out, const std::string& what) const {
        out.push_back({pointer(), dotted(), where() + " " + what, false});
    }

    void check(const Node* n, const json& v, std::vector<SchemaIssue>& out) {
        if (++depth_ > 2000) {  // a $ref loop that consumes no input
            --depth_;
            return;
        }
        checkNode(n, v, out);
        --depth_;
    }

    void checkNode(const Node* n, const json& v, std::vector<SchemaIssue>& out) {
        if (n->isBool) {
            if (!n->boolValue) add(out, "is not allowed");
            return;
        }
        if (n->refTarget) return check(n->refTarget, v, out);
        unsigned bits = instanceBits(v);
        if (n->types && !(widen(n->types) & bits)) return add(out, mustBe(n->types));
        if (n->enumValues) {
            bool found = false;
            for (const auto& e : *n->enumValues) found = found || e == v;
            if (!found) {
                std::string list;
                for (const auto& e : *n->enumValues) list += (list.empty() ? "" : ", ") + render(e);
                add(out, "must be one of: " + list);
            }
        }
        if (n->constValue && *n->constValue != v) add(out, "must be " + render(*n->constValue));
        if (v.is_object()) checkObject(n, v, out);
        if (v.is_array()) checkArray(n, v, out);
        if (v.is_string()) checkString(n, v.get_ref<const std::string&>(), out);
        if (v.is_number()) checkNumber(n, v.get<double>(), out);
        for (const Node* b : n->allOf) check(b, v, out);
        if (!n->anyOf.empty()) checkAlternatives(n->anyOf, false, v, out);
        if (!n->oneOf.empty()) checkAlternatives(n->oneOf, true, v, out);
        if (n->notSchema) {
            std::vector<SchemaIssue> tmp;
            check(n->notSchema, v, tmp);
            if (tmp.empty()) add(out, "is not allowed in this form");
        }
        if (n->ifSchema) {
            std::vector<SchemaIssue> tmp;
            check(n->ifSchema, v, tmp);
            const Node* next = tmp.empty() ? n->thenSchema : n->elseSchema;
            if (next) check(next, v, out);
        }
    }

    void checkObject(const Node* n, const json& v, std::vector<SchemaIssue>& out) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            const std::string& k = it.key();
            path_.push_back(k);
            bool matched = false;
            if (auto p = n->properties.find(k); p != n->properties.end()) {
                matched = true;
                check(p->second, it.value(), out);
            }
            for (const auto& [pat, sub] : n->patternProperties) {
                if (!search(pat, k)) continue;
                matched = true;
                check(sub, it.value(), out);
            }
            if (!matched && n->additionalProperties) {
                const Node* a = n->additionalProperties;
                if (a->isBool && !a->boolValue) {
                    out.push_back(unknownKey(n, k));
                } else {
                    check(a, it.value(), out);
                }
            }
            if (n->propertyNames) check(n->propertyNames, json(k), out);
            if (auto d = n->depSchemas.find(k); d != n->depSchemas.end()) {
                path_.pop_back();
                check(d->second, v, out);
                path_.push_back(k);
            }
            path_.pop_back();
        }
        for (const auto& r : n->required) {
            if (!v.contains(r)) add(out, "is missing required property " + r);
        }
        for (const auto& [k, needs] : n->depRequired) {
            if (!v.contains(k)) continue;
            for (const auto& r : needs) {
                if (!v.contains(r)) add(out, "must have property " + r + " when " + k + " is set");
            }
        }
        if (n->minProperties && v.size() < *n->minProperties) {
            add(out, fmt::format("must have at least {} properties", *n->minProperties));
        }
        if (n->maxProperties && v.size() > *n->maxProperties) {
            add(out, fmt::format("must have at most {} properties", *n->maxProperties));
        }
    }

    // path_ ends with the key. Names in a map of names (services, volumes...) are errors.
    SchemaIssue unknownKey(const Node* n, const std::string& k) {
        std::string key = path_.back();
        path_.pop_back();
        std::string parent = where();
        path_.push_back(key);
        std::vector<std::string> namePatterns;
        for (const auto& pp : n->patternProperties) {
            if (pp.first.source != "^x-") namePatterns.push_back(pp.first.source);
        }
        SchemaIssue issue{pointer(), dotted(), "", false};
        if (n->properties.empty() && !namePatterns.empty()) {
            issue.message = fmt::format("{} has an invalid name \"{}\" (names must match {})",
                                        parent, k, fmt::join(namePatterns, " or "));
        } else {
            issue.message = fmt::format("{} additional property {} is not allowed", parent, k);
            issue.unknownKey = true;
        }
        return issue;
    }

    void checkArray(const Node* n, const json& v, std::vector<SchemaIssue>& out) {
        for (size_t i = 0; i < v.size(); ++i) {
            const Node* sub = n->items;
            if (n->hasTuple) sub = i < n->tupleItems.size() ? n->tupleItems[i] : n->additionalItems;
            if (!sub) continue;
            path_.push_back(std::to_string(i));
            if (n->hasTuple && i >= n->tupleItems.size() && sub->isBool && !sub->boolValue) {
                path_.pop_back();
                add(out, fmt::format("must have at most {} items", n->tupleItems.size()));
                break;
            }
            check(sub, v[i], out);
            path_.pop_back();
        }
        if (n->contains) {
            bool any = false;
            for (size_t i = 0; i < v.size() && !any; ++i) {
                std::vector<SchemaIssue> tmp;
                check(n->contains, v[i], tmp);
                any = tmp.empty();
            }
            if (!any) add(out, "must contain at least one matching item");
        }
        if (n->minItems && v.size() < *n->minItems) {
            add(out, fmt::format("must have at least {} item{}", *n->minItems,
                                 *n->minItems == 1 ? "" : "s"));
        }
        if (n->maxItems && v.size() > *n->maxItems) {
            add(out, fmt::format("must have at most {} item{}", *n->maxItems,
                                 *n->maxItems == 1 ? "" : "s"));
        }
        if (n->uniqueItems) {
            for (size_t i = 0; i < v.size(); ++i) {
                for (size_t j = i + 1; j < v.size(); ++j) {
                    if (v[i] != v[j]) continue;
                    add(out,
                        fmt::format("must not contain duplicates (items {} and {} are both {})", i,
                                    j, v[i].dump()));
                    return;
                }
            }
        }
    }

    void checkString(const Node* n, const std::string& s, std::vector<SchemaIssue>& out) {
        if (n->minLength || n->maxLength) {
            uint64_t len = 0;  // code points
            for (unsigned char c : s) len += (c & 0xC0) != 0x80;
            if (n->minLength && len < *n->minLength) {
                add(out, fmt::format("must be at least {} characters long", *n->minLength));
            }
            if (n->maxLength && len > *n->maxLength) {
                add(out, fmt::format("must be at most {} characters long", *n->maxLength));
            }
        }
        if (n->pattern && !search(*n->pattern, s)) {
            add(out, fmt::format("must match the pattern {} (got \"{}\")", n->pattern->source, s));
        }
    }

    void checkNumber(const Node* n, double x, std::vector<SchemaIssue>& out) {
        if (n->minimum && x < n->minimum->value) add(out, "must be at least " + n->minimum->text);
        if (n->maximum && x > n->maximum->value) add(out, "must be at most " + n->maximum->text);
        if (n->exclusiveMinimum && x <= n->exclusiveMinimum->value) {
            add(out, "must be greater than " + n->exclusiveMinimum->text);
        }
        if (n->exclusiveMaximum && x >= n->exclusiveMaximum->value) {
            add(out, "must be less than " + n->exclusiveMaximum->text);
        }
        if (n->multipleOf) {
            double q = x / n->multipleOf->value;
            if (std::fabs(q - std::round(q)) > 1e-9) {
                add(out, "must be a multiple of " + n->multipleOf->text);
            }
        }
    }

    // oneOf / anyOf. When no branch passes, report the branch whose type fits the value (the
    // one failing deepest, if several), else "must be a <types of all branches>".
    void checkAlternatives(const std::vector<const Node*>& branches, bool exactlyOne, const json& v,
                           std::vector<SchemaIssue>& out) {
        std::vector<std::vector<SchemaIssue>> results(branches.size());
        size_t passing = 0;
        for (size_t i = 0; i < branches.size(); ++i) {
            check(branches[i], v, results[i]);
            if (results[i].empty()) ++passing;
        }
        if (passing == 1 || (passing > 1 && !exactlyOne)) return;
        if (passing > 1) {
            add(out, fmt::format("must match exactly one allowed form, but matches {}", passing));
            return;
        }
        unsigned bits = instanceBits(v);
        std::string here = pointer();
        int best = -1;
        bool bestShallow = true;
        unsigned all = 0;
        for (size_t i = 0; i < branches.size(); ++i) {
            all |= branches[i]->shallowTypes;
            if (!(branches[i]->shallowTypes & bits)) continue;
            // Prefer a branch that fails below this value over one failing at it.
            bool shallowFail = false;
            for (const auto& is : results[i]) shallowFail = shallowFail || is.pointer == here;
            if (best < 0 || (bestShallow && !shallowFail) ||
                (bestShallow == shallowFail && results[i].size() < results[best].size())) {
                best = static_cast<int>(i);
                bestShallow = shallowFail;
            }
        }
        if (best >= 0) {
            for (auto& is : results[best]) out.push_back(std::move(is));
            return;
        }
        add(out, mustBe(all));
    }

    std::vector<std::string> path_;
    int depth_ = 0;
};

}  // namespace

Result<Schema> Schema::parse(std::string_view jsonText) {
    json doc;
    try {
        doc = json::parse(jsonText);
    } catch (const json::exception& e) {
        return invalid("parsing compose schema: {}", e.what());
    }
    auto impl = std::make_shared<Impl>();
    Compiler c(impl->nodes);
    impl->root = TRY(c.compile(doc, ""));
    TRY(c.finish());
    return Schema(std::move(impl));
}

std::vector<SchemaIssue> Schema::validate(const nlohmann::json& doc) const {
    try {
        return Validator().run(impl_->root, doc);
    } catch (const std::exception& e) {
        return {
            SchemaIssue{"", "", fmt::format("(root) could not be validated: {}", e.what()), false}};
    }
}

const Schema& composeSchema() {
    static const Schema schema = [] {
        auto r = Schema::parse(kComposeSchema);
        if (!r) {
            // Compiled into the binary and covered by a unit test: a broken build, not input.
            std::fprintf(stderr, "berth: built-in compose schema: %s\n", r.error().str().c_str());
            std::abort();
        }
        return std::move(r).value();
    }();
    return schema;
}

}  // namespace berth::compose
