#include "compose/graph.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace berth::compose {

using nlohmann::json;

namespace {

using Graph = std::map<std::string, std::set<std::string>>;  // service -> what it needs

const json& services(const json& model) {
    static const json kEmpty = json::object();
    if (!model.is_object()) return kEmpty;
    auto it = model.find("services");
    return it != model.end() && it->is_object() ? *it : kEmpty;
}

// "x", "service:x", "x:ro", "service:x:rw" -> "x"; "container:..." -> "" (not a service).
std::string volumesFromService(const std::string& ref) {
    std::string s = ref;
    if (s.rfind("container:", 0) == 0) return "";
    if (s.rfind("service:", 0) == 0) s = s.substr(8);
    auto colon = s.rfind(':');
    if (colon != std::string::npos) {
        std::string mode = s.substr(colon + 1);
        if (mode == "ro" || mode == "rw") s = s.substr(0, colon);
    }
    return s;
}

// strict: a missing dependency is an error; else it is just left out.
Result<std::set<std::string>> directDeps(const json& svcs, const std::string& name,
                                         bool strict = true) {
    std::set<std::string> out;
    const json& s = svcs.at(name);
    if (!s.is_object()) return out;
    if (auto it = s.find("depends_on"); it != s.end() && it->is_object()) {
        for (auto& [dep, cfg] : it->items()) {
            bool required = true;
            if (cfg.is_object()) {
                auto r = cfg.find("required");
                if (r != cfg.end() && r->is_boolean()) required = r->get<bool>();
            }
            if (svcs.contains(dep))
                out.insert(dep);
            else if (required && strict)
                return invalid("service \"{}\" depends on undefined service \"{}\"", name, dep);
        }
    }
    if (auto it = s.find("network_mode"); it != s.end() && it->is_string()) {
        std::string nm = it->get<std::string>();
        if (nm.rfind("service:", 0) == 0) {
            std::string dep = nm.substr(8);
            if (!svcs.contains(dep) && strict)
                return invalid("service \"{}\" uses the network of undefined service \"{}\"", name,
                               dep);
            out.insert(dep);
        }
    }
    if (auto it = s.find("volumes_from"); it != s.end() && it->is_array()) {
        for (const auto& v : *it) {
            if (!v.is_string()) continue;
            std::string dep = volumesFromService(v.get<std::string>());
            if (dep.empty()) continue;
            if (!svcs.contains(dep) && strict)
                return invalid("service \"{}\" takes volumes from undefined service \"{}\"", name,
                               dep);
            out.insert(dep);
        }
    }
    return out;
}

Result<Graph> buildGraph(const json& model) {
    Graph g;
    const json& svcs = services(model);
    for (auto& [name, s] : svcs.items()) g[name] = TRY(directDeps(svcs, name));
    return g;
}

// Depth-first search over the whole graph, in name order; the first cycle found is reported as
// the path that closes it.
Status checkCycles(const Graph& g) {
    enum Colour { kWhite, kGrey, kBlack };
    std::map<std::string, Colour> colour;
    std::vector<std::string> path;
    std::vector<std::string> cycle;
    auto visit = [&](auto&& self, const std::string& n) -> bool {
        colour[n] = kGrey;
        path.push_back(n);
        for (const auto& d : g.at(n)) {
            if (colour[d] == kGrey) {
                auto from = std::find(path.begin(), path.end(), d);
                cycle.assign(from, path.end());
                cycle.push_back(d);
                return true;
            }
            if (colour[d] == kWhite && self(self, d)) return true;
        }
        path.pop_back();
        colour[n] = kBlack;
        return false;
    };
    for (const auto& [n, deps] : g) {
        if (colour[n] != kWhite) continue;
        if (visit(visit, n)) {
            std::string s;
            for (const auto& c : cycle) s += (s.empty() ? "" : " -> ") + c;
            return invalid("dependency cycle detected: {}", s);
        }
    }
    return okStatus();
}

Result<std::set<std::string>> selection(const Graph& g, const std::vector<std::string>& selected) {
    std::set<std::string> out;
    if (selected.empty()) {
        for (const auto& [n, d] : g) out.insert(n);
        return out;
    }
    for (const auto& s : selected) {
        if (!g.count(s)) return invalid("no such service: {}", s);
        out.insert(s);
    }
    return out;
}

// Adds everything reachable from `set` through `edges`.
void closeOver(const Graph& edges, std::set<std::string>& set) {
    std::vector<std::string> todo(set.begin(), set.end());
    while (!todo.empty()) {
        std::string n = todo.back();
        todo.pop_back();
        auto it = edges.find(n);
        if (it == edges.end()) continue;
        for (const auto& d : it->second)
            if (set.insert(d).second) todo.push_back(d);
    }
}

Graph reversed(const Graph& g) {
    Graph r;
    for (const auto& [n, deps] : g) {
        r[n];
        for (const auto& d : deps) r[d].insert(n);
    }
    return r;
}

// Kahn's algorithm restricted to `set`, ready services taken in name order; each service's
// level is one more than the deepest of its dependencies. The graph is known to be acyclic.
std::vector<std::pair<std::string, int>> topo(const Graph& g, const std::set<std::string>& set) {
    std::map<std::string, int> pending;
    Graph users;
    for (const auto& n : set) {
        pending[n] = 0;
        for (const auto& d : g.at(n))
            if (set.count(d)) {
                pending[n]++;
                users[d].insert(n);
            }
    }
    std::set<std::string> ready;
    for (const auto& [n, c] : pending)
        if (c == 0) ready.insert(n);
    std::map<std::string, int> level;
    std::vector<std::pair<std::string, int>> out;
    while (!ready.empty()) {
        std::string n = *ready.begin();
        ready.erase(ready.begin());
        int lv = 0;
        for (const auto& d : g.at(n))
            if (set.count(d)) lv = std::max(lv, level[d] + 1);
        level[n] = lv;
        out.emplace_back(n, lv);
        for (const auto& u : users[n])
            if (--pending[u] == 0) ready.insert(u);
    }
    return out;
}

Result<std::vector<std::pair<std::string, int>>> ordered(const json& model,
                                                         const std::vector<std::string>& selected,
                                                         bool withDeps) {
    Graph g = TRY(buildGraph(model));
    TRY(checkCycles(g));
    auto set = TRY(selection(g, selected));
    if (withDeps) closeOver(g, set);
    return topo(g, set);
}

}  // namespace

Result<std::vector<std::string>> serviceDependencies(const json& model, const std::string& svc) {
    const json& svcs = services(model);
    if (!svcs.contains(svc)) return invalid("no such service: {}", svc);
    auto deps = TRY(directDeps(svcs, svc));
    return std::vector<std::string>(deps.begin(), deps.end());
}

Result<std::vector<std::string>> startOrder(const json& model,
                                            const std::vector<std::string>& selected,
                                            bool withDeps) {
    auto o = TRY(ordered(model, selected, withDeps));
    std::vector<std::string> out;
    for (auto& [n, lv] : o) out.push_back(n);
    return out;
}

Result<std::vector<std::vector<std::string>>> startLevels(const json& model,
                                                          const std::vector<std::string>& selected,
                                                          bool withDeps) {
    auto o = TRY(ordered(model, selected, withDeps));
    std::vector<std::vector<std::string>> out;
    for (auto& [n, lv] : o) {
        if (out.size() <= static_cast<size_t>(lv)) out.resize(lv + 1);
        out[lv].push_back(n);
    }
    for (auto& l : out) std::sort(l.begin(), l.end());
    return out;
}

Result<std::vector<std::string>> stopOrder(const json& model,
                                           const std::vector<std::string>& selected,
                                           bool withDependents) {
    Graph g = TRY(buildGraph(model));
    TRY(checkCycles(g));
    auto set = TRY(selection(g, selected));
    if (withDependents) closeOver(reversed(g), set);
    std::vector<std::string> out;
    for (auto& [n, lv] : topo(g, set)) out.push_back(n);
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<std::string> dependents(const json& model, const std::string& svc) {
    std::vector<std::string> out;
    const json& svcs = services(model);
    for (auto& [name, s] : svcs.items()) {
        auto deps = directDeps(svcs, name, false);
        if (deps && deps->count(svc)) out.push_back(name);
    }
    return out;
}

std::vector<std::string> restartDependents(const json& model, const std::string& svc) {
    std::vector<std::string> out;
    for (auto& [name, s] : services(model).items()) {
        if (!s.is_object() || !s.contains("depends_on") || !s["depends_on"].is_object()) continue;
        const json& d = s["depends_on"];
        auto it = d.find(svc);
        if (it == d.end() || !it->is_object()) continue;
        auto r = it->find("restart");
        if (r != it->end() && r->is_boolean() && r->get<bool>()) out.push_back(name);
    }
    return out;
}

}  // namespace berth::compose
