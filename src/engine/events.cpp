#include "engine/events.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

namespace berth::engine {

namespace {

int64_t nowNano() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool anyOf(const std::vector<std::string>& vals, const std::function<bool(const std::string&)>& f) {
    for (const auto& v : vals)
        if (f(v)) return true;
    return false;
}

// "name" or "id prefix" match for container/image/network/volume filters.
bool actorMatches(const Event& e, const std::string& v) {
    if (v.empty()) return false;
    if (e.id == v || e.id.rfind(v, 0) == 0) return true;
    auto it = e.attributes.find("name");
    if (it != e.attributes.end() && it->second == v) return true;
    return false;
}

}  // namespace

bool eventMatches(const Event& e, const EventFilters& f) {
    for (const auto& [key, vals] : f) {
        if (vals.empty()) continue;
        bool ok = false;
        if (key == "type") {
            ok = anyOf(vals, [&](const std::string& v) { return v == e.type; });
        } else if (key == "event") {
            ok = anyOf(vals, [&](const std::string& v) {
                // "exec_start" matches "exec_start: sh -c ..." like docker.
                return e.action == v || e.action.rfind(v + ":", 0) == 0;
            });
        } else if (key == "container" || key == "network" || key == "volume") {
            if (e.type != key) return false;
            ok = anyOf(vals, [&](const std::string& v) { return actorMatches(e, v); });
        } else if (key == "image") {
            ok = anyOf(vals, [&](const std::string& v) {
                if (e.type == "image") return actorMatches(e, v);
                auto it = e.attributes.find("image");
                return it != e.attributes.end() && it->second == v;
            });
        } else if (key == "label") {
            // Every label filter must match (docker's MatchKVList).
            ok = std::all_of(vals.begin(), vals.end(), [&](const std::string& v) {
                auto eq = v.find('=');
                auto it = e.attributes.find(v.substr(0, eq));
                if (it == e.attributes.end()) return false;
                return eq == std::string::npos || it->second == v.substr(eq + 1);
            });
        } else if (key == "scope") {
            ok = anyOf(vals, [](const std::string& v) { return v == "local"; });
        } else if (key == "daemon") {
            ok = e.type == "daemon" &&
                 anyOf(vals, [&](const std::string& v) { return actorMatches(e, v); });
        } else {
            ok = true;  // unknown keys are rejected by the API before we get here
        }
        if (!ok) return false;
    }
    return true;
}

EventBus::EventBus(size_t historySize) : historySize_(historySize) {}

EventBus::Subscription::~Subscription() {
    bus_->unsubscribe(id_);
}

void EventBus::publish(Event e) {
    if (e.timeNano == 0) e.timeNano = nowNano();
    std::lock_guard lk(mu_);
    history_.push_back(e);
    while (history_.size() > historySize_) history_.pop_front();
    for (auto& [id, s] : subs_)
        if (eventMatches(e, s.filters)) s.cb(e);
}

std::unique_ptr<EventBus::Subscription> EventBus::subscribe(int64_t sinceNano,
                                                            const EventFilters& f,
                                                            std::function<void(const Event&)> cb) {
    std::lock_guard lk(mu_);
    if (sinceNano > 0)
        for (const auto& e : history_)
            if (e.timeNano >= sinceNano && eventMatches(e, f)) cb(e);
    uint64_t id = nextId_++;
    subs_.emplace(id, Sub{f, std::move(cb)});
    return std::make_unique<Subscription>(this, id);
}

std::vector<Event> EventBus::history(int64_t sinceNano, int64_t untilNano,
                                     const EventFilters& f) const {
    std::lock_guard lk(mu_);
    std::vector<Event> out;
    for (const auto& e : history_)
        if (e.timeNano >= sinceNano && (untilNano == 0 || e.timeNano <= untilNano) &&
            eventMatches(e, f))
            out.push_back(e);
    return out;
}

void EventBus::unsubscribe(uint64_t id) {
    std::lock_guard lk(mu_);
    subs_.erase(id);
}

std::string eventJson(const Event& e) {
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& [k, v] : e.attributes) attrs[k] = v;
    nlohmann::json j = {{"Type", e.type},
                        {"Action", e.action},
                        {"Actor", {{"ID", e.id}, {"Attributes", attrs}}},
                        {"scope", "local"},
                        {"time", e.timeNano / 1000000000},
                        {"timeNano", e.timeNano}};
    if (e.type == "container" || e.type == "image") {
        j["status"] = e.action;
        j["id"] = e.id;
        auto it = e.attributes.find("image");
        if (e.type == "container" && it != e.attributes.end()) j["from"] = it->second;
    }
    return j.dump();
}

}  // namespace berth::engine
