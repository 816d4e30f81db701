// Compose's merge rules (see merge.h), carrying the source marks along.
#include "compose/merge.h"

#include <functional>
#include <map>

namespace berth::compose {

using nlohmann::json;

namespace {

// What the merge does at a path.
enum class Rule {
    Default,          // maps merge, sequences append, scalars replace
    Replace,          // the later value replaces the earlier one whole
    MapLike,          // list_or_dict: converted to a map, then merged key by key
    DependsOn,        // list form -> {svc: {condition: service_started, required: true}}
    ServiceNetworks,  // list form -> {net: null}; a null entry keeps the earlier options
    Build,            // `build: dir` -> {context: dir}
    Logging,          // replaced when the driver changes, else merged
    ExtraHosts,       // map form -> "host:ip" strings, then a unique list
    UniqueList,       // appended; a later entry with the same key replaces the earlier one
};

using KeyFn = std::function<std::string(const json&)>;

std::string scalarKey(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<std::string> splitColons(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t c = s.find(':', start);
        out.push_back(s.substr(start, c == std::string::npos ? std::string::npos : c - start));
        if (c == std::string::npos) return out;
        start = c + 1;
    }
}

// host_ip|published|target|protocol
std::string portKey(const json& v) {
    if (v.is_object()) {
        auto text = [&](const char* k) { return v.contains(k) ? scalarKey(v[k]) : ""; };
        std::string proto = v.contains("protocol") ? scalarKey(v["protocol"]) : "tcp";
        return text("host_ip") + "|" + text("published") + "|" + text("target") + "|" + proto;
    }
    if (!v.is_string()) return "||" + scalarKey(v) + "|tcp";
    std::string s = v.get<std::string>(), proto = "tcp";
    if (auto slash = s.rfind('/'); slash != std::string::npos) {
        proto = s.substr(slash + 1);
        s.resize(slash);
    }
    auto parts = splitColons(s);
    std::string target = parts.back(), published, host;
    if (parts.size() >= 2) published = parts[parts.size() - 2];
    for (size_t i = 0; i + 2 < parts.size(); i++) host += (i ? ":" : "") + parts[i];
    return host + "|" + published + "|" + target + "|" + proto;
}

// The container path of a mount or device, short or long syntax.
std::string targetKey(const json& v) {
    if (v.is_object()) return v.contains("target") ? scalarKey(v["target"]) : v.dump();
    auto parts = splitColons(scalarKey(v));
    return parts.size() == 1 ? parts[0] : parts[1];
}

KeyFn fileMountKey(std::string dir) {
    return [dir](const json& v) -> std::string {
        if (!v.is_object()) return dir + scalarKey(v);
        std::string source = v.contains("source") ? scalarKey(v["source"]) : "";
        if (!v.contains("target")) return dir + source;
        std::string target = scalarKey(v["target"]);
        return target.rfind('/', 0) == 0 ? target : dir + target;
    };
}

std::string envFileKey(const json& v) {
    if (v.is_object()) return v.contains("path") ? scalarKey(v["path"]) : v.dump();
    return scalarKey(v);
}

struct RuleInfo {
    Rule rule = Rule::Default;
    KeyFn key;
};

// Patterns over pointer segments; "*" matches any one segment.
const std::vector<std::pair<std::vector<std::string>, RuleInfo>>& rules() {
    static const auto table = [] {
        std::vector<std::pair<std::vector<std::string>, RuleInfo>> t;
        auto svc = [&](std::vector<std::string> rest, RuleInfo info) {
            rest.insert(rest.begin(), {"services", "*"});
            t.emplace_back(std::move(rest), std::move(info));
        };
        for (const char* k : {"environment", "labels", "annotations", "sysctls"})
            svc({k}, {Rule::MapLike, nullptr});
        for (const char* k : {"args", "labels", "additional_contexts"})
            svc({"build", k}, {Rule::MapLike, nullptr});
        svc({"deploy", "labels"}, {Rule::MapLike, nullptr});
        for (const char* top : {"networks", "volumes", "secrets", "configs"})
            t.push_back({{top, "*", "labels"}, {Rule::MapLike, nullptr}});
        for (const char* k : {"command", "entrypoint"}) svc({k}, {Rule::Replace, nullptr});
        svc({"healthcheck", "test"}, {Rule::Replace, nullptr});
        svc({"depends_on"}, {Rule::DependsOn, nullptr});
        svc({"networks"}, {Rule::ServiceNetworks, nullptr});
        svc({"build"}, {Rule::Build, nullptr});
        svc({"logging"}, {Rule::Logging, nullptr});
        svc({"extra_hosts"}, {Rule::ExtraHosts, nullptr});
        svc({"build", "extra_hosts"}, {Rule::ExtraHosts, nullptr});
        svc({"ports"}, {Rule::UniqueList, portKey});
        svc({"volumes"}, {Rule::UniqueList, targetKey});
        svc({"devices"}, {Rule::UniqueList, targetKey});
        svc({"secrets"}, {Rule::UniqueList, fileMountKey("/run/secrets/")});
        svc({"configs"}, {Rule::UniqueList, fileMountKey("/")});
        svc({"env_file"}, {Rule::UniqueList, envFileKey});
        for (const char* k : {"expose", "dns", "dns_opt", "dns_search", "cap_add", "cap_drop",
                              "tmpfs", "profiles", "links", "external_links", "security_opt",
                              "group_add", "volumes_from", "device_cgroup_rules", "label_file"})
            svc({k}, {Rule::UniqueList, scalarKey});
        svc({"networks", "*", "aliases"}, {Rule::UniqueList, scalarKey});
        svc({"networks", "*", "link_local_ips"}, {Rule::UniqueList, scalarKey});
        for (const char* k : {"tags", "platforms", "cache_from", "cache_to"})
            svc({"build", k}, {Rule::UniqueList, scalarKey});
        return t;
    }();
    return table;
}

RuleInfo ruleFor(const std::vector<std::string>& segs) {
    for (const auto& [pattern, info] : rules()) {
        if (pattern.size() != segs.size()) continue;
        bool match = true;
        for (size_t i = 0; i < segs.size() && match; i++)
            match = pattern[i] == "*" || pattern[i] == segs[i];
        if (match) return info;
    }
    return {};
}

// The source side of a merge: a value, the marks and tags of its document, and its pointer.
struct Src {
    const json& v;
    const Marks& marks;
    const Tags& tags;
    std::string ptr;
};

// The destination side: the value being merged into and its document's marks.
struct Dst {
    json& v;
    Marks& marks;
    std::string ptr;
};

void replaceWith(Dst d, const Src& s) {
    d.v = s.v;
    eraseMarks(d.marks, d.ptr);
    copyMarks(s.marks, s.ptr, d.marks, d.ptr);
}

// Rebuilds the marks below `ptr` (keeping ptr's own) from `children`, a list of (source marks,
// source pointer, new child key).
struct MarkMove {
    const Marks* marks;
    std::string from;
    std::string childKey;
};
void rebuildChildMarks(Marks& marks, const std::string& ptr, const std::vector<MarkMove>& moves) {
    Marks fresh;
    for (const auto& m : moves) copyMarks(*m.marks, m.from, fresh, pointerAppend(ptr, m.childKey));
    std::optional<Mark> own;
    if (auto it = marks.find(ptr); it != marks.end()) own = it->second;
    eraseMarks(marks, ptr);
    if (own) marks[ptr] = *own;
    for (auto& [k, m] : fresh) marks[k] = std::move(m);
}

enum class ListForm { KeyValue, DependsOn, Networks };

// list -> map in place (marks of item i move to the item's key).
void listToMap(json& v, Marks& marks, const std::string& ptr, ListForm form) {
    if (!v.is_array()) return;
    json obj = json::object();
    std::vector<MarkMove> moves;
    for (size_t i = 0; i < v.size(); i++) {
        std::string item = scalarKey(v[i]), key = item;
        json value;
        if (form == ListForm::KeyValue) {
            size_t eq = item.find('=');
            key = item.substr(0, eq);
            if (eq != std::string::npos) value = item.substr(eq + 1);
        } else if (form == ListForm::DependsOn) {
            value = {{"condition", "service_started"}, {"required", true}};
        }
        obj[key] = std::move(value);
        moves.push_back({&marks, pointerAppend(ptr, i), key});
    }
    Marks copy;  // the moves read from the marks being rebuilt
    copyMarks(marks, ptr, copy, ptr);
    for (auto& m : moves) m.marks = &copy;
    rebuildChildMarks(marks, ptr, moves);
    v = std::move(obj);
}

// `extra_hosts` map form -> "host:ip" strings.
void hostsToList(json& v, Marks& marks, const std::string& ptr) {
    if (!v.is_object()) return;
    json arr = json::array();
    std::vector<MarkMove> moves;
    for (auto& [host, ips] : v.items()) {
        std::string from = pointerAppend(ptr, host);
        json list = ips.is_array() ? ips : json::array({ips});
        for (const auto& ip : list) {
            moves.push_back({&marks, from, std::to_string(arr.size())});
            arr.push_back(host + ":" + scalarKey(ip));
        }
    }
    Marks copy;
    copyMarks(marks, ptr, copy, ptr);
    for (auto& m : moves) m.marks = &copy;
    rebuildChildMarks(marks, ptr, moves);
    v = std::move(arr);
}

void uniqueMerge(Dst d, const Src& s, const KeyFn& key) {
    struct Entry {
        json value;
        MarkMove origin;
    };
    std::vector<Entry> out;
    std::map<std::string, size_t> seen;
    Marks dstCopy;
    copyMarks(d.marks, d.ptr, dstCopy, d.ptr);
    auto add = [&](const json& value, const Marks* marks, std::string from) {
        Entry e{value, {marks, std::move(from), ""}};
        std::string k = key(value);
        if (auto it = seen.find(k); it != seen.end()) {
            out[it->second] = std::move(e);
        } else {
            seen[k] = out.size();
            out.push_back(std::move(e));
        }
    };
    for (size_t i = 0; i < d.v.size(); i++) add(d.v[i], &dstCopy, pointerAppend(d.ptr, i));
    for (size_t i = 0; i < s.v.size(); i++) add(s.v[i], &s.marks, pointerAppend(s.ptr, i));
    json arr = json::array();
    std::vector<MarkMove> moves;
    for (auto& e : out) {
        e.origin.childKey = std::to_string(arr.size());
        moves.push_back(e.origin);
        arr.push_back(std::move(e.value));
    }
    rebuildChildMarks(d.marks, d.ptr, moves);
    d.v = std::move(arr);
}

void mergeValue(Dst d, const Src& s, std::vector<std::string>& segs);

// Merge s (an object) into d (an object), key by key.
void mergeObject(Dst d, const Src& s, std::vector<std::string>& segs, bool nullReplaces) {
    for (auto& [key, value] : s.v.items()) {
        std::string sp = pointerAppend(s.ptr, key), dp = pointerAppend(d.ptr, key);
        Src child{value, s.marks, s.tags, sp};
        auto tag = s.tags.find(sp);
        if (tag != s.tags.end() && tag->second == "!reset") {
            d.v.erase(key);
            eraseMarks(d.marks, dp);
            continue;
        }
        if (!d.v.contains(key) || (tag != s.tags.end() && tag->second == "!override") ||
            (nullReplaces && value.is_null())) {
            d.v[key] = nullptr;
            replaceWith(Dst{d.v[key], d.marks, dp}, child);
            continue;
        }
        segs.push_back(key);
        mergeValue(Dst{d.v[key], d.marks, dp}, child, segs);
        segs.pop_back();
    }
}

// A private copy of a source value (with its marks) that can be converted before merging.
struct OwnedSrc {
    json v;
    Marks marks;
    Src src(const Tags& tags, const std::string& ptr) const { return Src{v, marks, tags, ptr}; }
};
OwnedSrc own(const Src& s) {
    OwnedSrc o{s.v, {}};
    copyMarks(s.marks, s.ptr, o.marks, s.ptr);
    return o;
}

void mergeValue(Dst d, const Src& s, std::vector<std::string>& segs) {
    if (s.v.is_null()) return;  // an empty value changes nothing
    RuleInfo info = ruleFor(segs);
    switch (info.rule) {
        case Rule::Replace:
            replaceWith(d, s);
            return;
        case Rule::MapLike:
        case Rule::DependsOn:
        case Rule::ServiceNetworks: {
            ListForm form = info.rule == Rule::MapLike     ? ListForm::KeyValue
                            : info.rule == Rule::DependsOn ? ListForm::DependsOn
                                                           : ListForm::Networks;
            OwnedSrc o = own(s);
            listToMap(d.v, d.marks, d.ptr, form);
            listToMap(o.v, o.marks, s.ptr, form);
            if (!d.v.is_object() || !o.v.is_object()) return replaceWith(d, o.src(s.tags, s.ptr));
            return mergeObject(d, o.src(s.tags, s.ptr), segs, info.rule == Rule::MapLike);
        }
        case Rule::Build: {
            OwnedSrc o = own(s);
            for (json* v : {&d.v, &o.v})
                if (v->is_string()) *v = json{{"context", *v}};
            if (!d.v.is_object() || !o.v.is_object()) return replaceWith(d, o.src(s.tags, s.ptr));
            return mergeObject(d, o.src(s.tags, s.ptr), segs, false);
        }
        case Rule::Logging:
            if (d.v.is_object() && s.v.is_object() && d.v.contains("driver") &&
                s.v.contains("driver") && d.v["driver"] != s.v["driver"])
                return replaceWith(d, s);
            break;
        case Rule::ExtraHosts: {
            OwnedSrc o = own(s);
            hostsToList(d.v, d.marks, d.ptr);
            hostsToList(o.v, o.marks, s.ptr);
            if (!d.v.is_array() || !o.v.is_array()) return replaceWith(d, o.src(s.tags, s.ptr));
            return uniqueMerge(d, o.src(s.tags, s.ptr), scalarKey);
        }
        case Rule::UniqueList: {
            OwnedSrc o = own(s);
            // string_or_list fields (dns: 8.8.8.8) merge as one-element lists.
            for (json* v : {&d.v, &o.v})
                if (!v->is_array() && !v->is_object()) *v = json::array({*v});
            if (!d.v.is_array() || !o.v.is_array()) return replaceWith(d, o.src(s.tags, s.ptr));
            return uniqueMerge(d, o.src(s.tags, s.ptr), info.key);
        }
        case Rule::Default:
            break;
    }
    if (d.v.is_object() && s.v.is_object()) return mergeObject(d, s, segs, false);
    if (d.v.is_array() && s.v.is_array()) {
        size_t n = d.v.size();
        for (size_t i = 0; i < s.v.size(); i++) {
            d.v.push_back(s.v[i]);
            copyMarks(s.marks, pointerAppend(s.ptr, i), d.marks, pointerAppend(d.ptr, n + i));
        }
        return;
    }
    replaceWith(d, s);
}

}  // namespace

std::vector<std::string> pointerSegments(std::string_view pointer) {
    std::vector<std::string> out;
    if (pointer.empty()) return out;
    std::string cur;
    for (size_t i = 1; i <= pointer.size(); i++) {
        if (i == pointer.size() || pointer[i] == '/') {
            out.push_back(std::move(cur));
            cur.clear();
        } else if (pointer[i] == '~' && i + 1 < pointer.size()) {
            cur += pointer[++i] == '1' ? '/' : '~';
        } else {
            cur += pointer[i];
        }
    }
    return out;
}

const json* jsonAt(const json& doc, std::string_view pointer) {
    const json* cur = &doc;
    for (const auto& seg : pointerSegments(pointer)) {
        if (cur->is_object()) {
            auto it = cur->find(seg);
            if (it == cur->end()) return nullptr;
            cur = &*it;
        } else if (cur->is_array()) {
            char* end = nullptr;
            unsigned long i = strtoul(seg.c_str(), &end, 10);
            if (seg.empty() || *end || i >= cur->size()) return nullptr;
            cur = &(*cur)[i];
        } else {
            return nullptr;
        }
    }
    return cur;
}

json* jsonAt(json& doc, std::string_view pointer) {
    return const_cast<json*>(jsonAt(static_cast<const json&>(doc), pointer));
}

void mergeAt(YamlDoc& dst, const std::string& dstPtr, const YamlDoc& src,
             const std::string& srcPtr) {
    const json* sv = jsonAt(src.value, srcPtr);
    if (!sv) return;
    json* dv = jsonAt(dst.value, dstPtr);
    if (!dv) return;
    std::vector<std::string> segs = pointerSegments(dstPtr);
    Src s{*sv, src.marks, src.tags, srcPtr};
    if (dv->is_null()) {
        replaceWith(Dst{*dv, dst.marks, dstPtr}, s);
        return;
    }
    mergeValue(Dst{*dv, dst.marks, dstPtr}, s, segs);
}

void mergeDocs(YamlDoc& base, const YamlDoc& over) {
    if (base.value.is_null()) base.value = json::object();
    if (!over.value.is_object()) return;
    if (!base.marks.count(""))
        if (auto root = over.marks.find(""); root != over.marks.end())
            base.marks[""] = root->second;
    std::vector<std::string> segs;
    mergeObject(Dst{base.value, base.marks, ""}, Src{over.value, over.marks, over.tags, ""}, segs,
                false);
}

}  // namespace berth::compose
