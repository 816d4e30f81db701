// The daemon's event stream (GET /events): containers, images, networks, volumes and the
// daemon publish here; subscribers get past events from a bounded history (since) and live
// ones until they unsubscribe or `until` passes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace berth::engine {

struct Event {
    std::string type;    // container, image, network, volume, daemon
    std::string action;  // create, start, die, destroy, pull, tag, connect, ...
    std::string id;      // Actor.ID
    std::map<std::string, std::string> attributes;  // Actor.Attributes (name, image, exitCode..)
    int64_t timeNano = 0;                           // set by publish() when 0
};

// docker's event filters: type, event (action), container, image, network, volume, label,
// daemon, scope; values of one key are ORed, keys ANDed.
using EventFilters = std::map<std::string, std::vector<std::string>>;
bool eventMatches(const Event& e, const EventFilters& f);

class EventBus {
  public:
    explicit EventBus(size_t historySize = 4096);

    void publish(Event e);

    // Returned by subscribe(); destroying it unsubscribes.
    class Subscription {
      public:
        Subscription(EventBus* bus, uint64_t id) : bus_(bus), id_(id) {}
        ~Subscription();
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;

      private:
        EventBus* bus_;
        uint64_t id_;
    };
    // Delivers the history from sinceNano (0: none) that matches, then live events, on the
    // publishing thread; the callback must not block for long (the API queues and writes).
    std::unique_ptr<Subscription> subscribe(int64_t sinceNano, const EventFilters& f,
                                            std::function<void(const Event&)> cb);
    // Past events in [sinceNano, untilNano] (for a request whose until is already past).
    std::vector<Event> history(int64_t sinceNano, int64_t untilNano, const EventFilters& f) const;

  private:
    struct Sub {
        EventFilters filters;
        std::function<void(const Event&)> cb;
    };
    void unsubscribe(uint64_t id);
    mutable std::mutex mu_;
    size_t historySize_;
    std::deque<Event> history_;
    std::map<uint64_t, Sub> subs_;
    uint64_t nextId_ = 1;
};

// The API's JSON for one event (Type, Action, Actor{ID,Attributes}, scope, time, timeNano and
// the legacy status/id/from fields for containers and images).
std::string eventJson(const Event& e);

}  // namespace berth::engine
