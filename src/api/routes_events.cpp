// GET /events: the engine's bus as docker's JSON stream (since/until/filters).
#include <condition_variable>
#include <deque>
#include <mutex>

#include "api/context.h"
#include "engine/events.h"

namespace berth::api {

namespace {

int64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Status events(Context& c, Exchange& ex) {
    auto f =
        TRY(parseFilters(ex, {"config", "container", "daemon", "event", "image", "label", "network",
                              "node", "plugin", "scope", "secret", "service", "type", "volume"}));
    int64_t since = TRY(parseTimestamp(ex.req().q("since")));
    int64_t until = TRY(parseTimestamp(ex.req().q("until")));
    // since=0 asks for everything kept; the bus reads 0 as "no history".
    if (since == 0 && !ex.req().q("since").empty()) since = 1;
    if (since && until && until < since)
        return invalid("`since` ({}) must be before `until`", ex.req().q("since"));
    auto& bus = c.engine.events();
    if (until && until <= nowNs()) {
        std::string out;
        for (auto& e : bus.history(since, until, f)) out += engine::eventJson(e) + "\n";
        return ex.send(200, "application/json", out);
    }
    struct Queue {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<std::string> lines;
    };
    auto q = std::make_shared<Queue>();
    TRY(ex.beginStream(200, "application/json"));
    auto sub = bus.subscribe(since, f, [q, until](const engine::Event& e) {
        if (until && e.timeNano > until) return;
        std::lock_guard lk(q->mu);
        if (q->lines.size() < 100000) q->lines.push_back(engine::eventJson(e) + "\n");
        q->cv.notify_one();
    });
    for (;;) {
        std::deque<std::string> batch;
        {
            std::unique_lock lk(q->mu);
            q->cv.wait_for(lk, std::chrono::milliseconds(250), [&] { return !q->lines.empty(); });
            batch.swap(q->lines);
        }
        std::string out;
        for (auto& l : batch) out += l;
        if (!out.empty()) TRY(ex.writeChunk(out));
        if (until && nowNs() > until) break;
        if (ex.clientGone() || ex.serverStopping()) break;
    }
    return ex.endStream();
}

}  // namespace

void addEventRoutes(Router& r) {
    r.add("GET", "/events", events);
}

}  // namespace berth::api
