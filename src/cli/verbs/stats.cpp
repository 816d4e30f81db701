// `berth stats`: display a live stream of container(s) resource usage statistics, computed as
// docker does (CPU % from the cpu/precpu deltas, memory without the inactive file cache).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/format.h"
#include "cli/stream.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

constexpr std::string_view kStatsTable =
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"
    "{{.BlockIO}}\t{{.PIDs}}";

json statsHeaders() {
    return json{{"Container", "CONTAINER"},
                {"Name", "NAME"},
                {"ID", "CONTAINER ID"},
                {"CPUPerc", "CPU %"},
                {"MemUsage", "MEM USAGE / LIMIT"},
                {"MemPerc", "MEM %"},
                {"NetIO", "NET I/O"},
                {"BlockIO", "BLOCK I/O"},
                {"PIDs", "PIDS"}};
}

double num(const json& j, std::initializer_list<const char*> path) {
    const json* p = &j;
    for (auto* k : path) {
        if (!p->is_object() || !p->contains(k)) return 0;
        p = &(*p)[k];
    }
    return p->is_number() ? p->get<double>() : 0;
}

// One container's entry (docker's StatsEntry).
struct Entry {
    std::string container;  // as named on the command line (or the ID)
    std::string id, name;
    double cpu = 0, mem = 0, memLimit = 0, memPerc = 0, rx = 0, tx = 0, blkRead = 0, blkWrite = 0;
    int64_t pids = 0;
    bool valid = false;
    std::string error;
};

void update(Entry& e, const json& s) {
    e.id = s.value("id", e.id);
    e.name = s.value("name", e.name);
    double cpuDelta = num(s, {"cpu_stats", "cpu_usage", "total_usage"}) -
                      num(s, {"precpu_stats", "cpu_usage", "total_usage"});
    double sysDelta =
        num(s, {"cpu_stats", "system_cpu_usage"}) - num(s, {"precpu_stats", "system_cpu_usage"});
    double online = num(s, {"cpu_stats", "online_cpus"});
    if (online == 0 && s.contains("cpu_stats")) {
        auto& cs = s["cpu_stats"];
        if (cs.contains("cpu_usage") && cs["cpu_usage"].contains("percpu_usage") &&
            cs["cpu_usage"]["percpu_usage"].is_array())
            online = static_cast<double>(cs["cpu_usage"]["percpu_usage"].size());
    }
    e.cpu = sysDelta > 0 && cpuDelta > 0 ? cpuDelta / sysDelta * online * 100.0 : 0;

    double usage = num(s, {"memory_stats", "usage"});
    bool v1 = s.contains("memory_stats") && s["memory_stats"].contains("stats") &&
              s["memory_stats"]["stats"].contains("total_inactive_file");
    double inactive = v1 ? num(s, {"memory_stats", "stats", "total_inactive_file"})
                         : num(s, {"memory_stats", "stats", "inactive_file"});
    e.mem = inactive < usage ? usage - inactive : usage;
    e.memLimit = num(s, {"memory_stats", "limit"});
    e.memPerc = e.memLimit != 0 ? e.mem / e.memLimit * 100.0 : 0;

    e.rx = e.tx = 0;
    if (s.contains("networks") && s["networks"].is_object())
        for (auto& [k, n] : s["networks"].items()) {
            e.rx += num(n, {"rx_bytes"});
            e.tx += num(n, {"tx_bytes"});
        }
    e.blkRead = e.blkWrite = 0;
    if (s.contains("blkio_stats") && s["blkio_stats"].is_object() &&
        s["blkio_stats"].contains("io_service_bytes_recursive") &&
        s["blkio_stats"]["io_service_bytes_recursive"].is_array())
        for (auto& b : s["blkio_stats"]["io_service_bytes_recursive"]) {
            std::string op = b.value("op", "");
            if (op.empty()) continue;
            double v = num(b, {"value"});
            if (op[0] == 'r' || op[0] == 'R') e.blkRead += v;
            if (op[0] == 'w' || op[0] == 'W') e.blkWrite += v;
        }
    e.pids = static_cast<int64_t>(num(s, {"pids_stats", "current"}));
    e.valid = true;
}

json row(const Entry& e, bool trunc) {
    auto pct = [](double v) { return fmt::format("{:.2f}%", v); };
    auto io = [](double a, double b) { return humanSizePrec(a, 3) + " / " + humanSizePrec(b, 3); };
    json r;
    r["Container"] = e.container;
    r["Name"] = e.name.size() > 1 ? e.name.substr(1) : "--";
    r["ID"] = trunc ? truncateId(e.id) : e.id;
    r["CPUPerc"] = e.valid ? pct(e.cpu) : "--";
    r["MemUsage"] = e.valid ? bytesSize(e.mem) + " / " + bytesSize(e.memLimit) : "-- / --";
    r["MemPerc"] = e.valid ? pct(e.memPerc) : "--";
    r["NetIO"] = e.valid ? io(e.rx, e.tx) : "--";
    r["BlockIO"] = e.valid ? io(e.blkRead, e.blkWrite) : "--";
    r["PIDs"] = e.valid ? std::to_string(e.pids) : "--";
    return r;
}

Result<std::string> render(const std::string& format, const std::vector<Entry>& entries,
                           bool trunc) {
    std::vector<json> rows;
    for (auto& e : entries) rows.push_back(row(e, trunc));
    ListFormat lf;
    lf.defaultTable = kStatsTable;
    return renderList(format, rows, statsHeaders(), lf);
}

// The containers to show: those named, else the running (or all) ones.
Result<std::vector<Entry>> targets(Ctx& ctx, const Flags& f) {
    std::vector<Entry> out;
    if (!f.args().empty()) {
        for (auto& n : f.args()) {
            Entry e;
            e.container = n;
            e.id = n;
            out.push_back(e);
        }
        return out;
    }
    json list = TRY(apiGet(ctx, "/containers/json" + query({{"all", f.b("all") ? "1" : ""}})));
    for (auto& c : list) {
        Entry e;
        e.container = e.id = c.value("Id", "");
        auto names = c.value("Names", json::array());
        if (!names.empty()) e.name = names[0].get<std::string>();
        out.push_back(e);
    }
    return out;
}

Result<int> noStream(Ctx& ctx, const Flags& f, std::vector<Entry> entries) {
    std::vector<std::string> errors;
    for (auto& e : entries) {
        auto s = apiGet(ctx, "/containers/" + urlEncode(e.id) + "/stats?stream=0");
        if (!s) {
            errors.push_back(s.error().msg);
            continue;
        }
        update(e, *s);
    }
    if (!errors.empty()) {
        std::string msg;
        for (auto& x : errors) msg += (msg.empty() ? "" : "\n") + x;
        return Error{0, msg, true};
    }
    auto out = render(f.s("format"), entries, !f.b("no-trunc"));
    if (!out) return Error{0, out.error().msg, true};
    ctx.out(*out);
    return 0;
}

// Live mode: one streaming connection per container, the table redrawn twice a second. Without
// container arguments the set follows the daemon's events as docker's does: containers that
// start are added (and created ones with --all); without --all, those that die are dropped.
// An entry dropped from the table lives on in its stream thread until the daemon ends the stream.
struct LiveState {
    std::mutex mu;
    std::vector<std::shared_ptr<Entry>> slots;
};

void watchStats(const std::shared_ptr<LiveState>& st, const std::shared_ptr<Entry>& slot,
                const Globals& globals, const std::string& host) {
    std::string id = slot->id;
    std::thread([st, slot, id, globals, host] {
        auto client = Client::open(globals, host);
        if (!client) {
            std::lock_guard l(st->mu);
            slot->error = client.error().msg;
            return;
        }
        Request r;
        r.path = "/containers/" + urlEncode(id) + "/stats?stream=1";
        LineSplitter lines([&](std::string_view line) {
            auto j = json::parse(line, nullptr, false);
            if (j.is_discarded()) return true;
            std::lock_guard l(st->mu);
            update(*slot, j);
            return true;
        });
        auto resp = (*client)->stream(r, [&](std::string_view d) { return lines.feed(d); });
        std::lock_guard l(st->mu);
        if (!resp)
            slot->error = resp.error().msg;
        else if (!resp->ok())
            slot->error = apiError(*resp).msg;
        slot->valid = false;
    }).detach();
}

void followEvents(const std::shared_ptr<LiveState>& st, bool all, const Globals& globals,
                  const std::string& host) {
    std::thread([st, all, globals, host] {
        auto client = Client::open(globals, host);
        if (!client) return;
        json filters = {{"type", {"container"}}, {"event", {"create", "start", "die"}}};
        Request r;
        r.path = "/events" + query({{"filters", filters.dump()}});
        LineSplitter lines([&](std::string_view line) {
            auto ev = json::parse(line, nullptr, false);
            if (ev.is_discarded()) return true;
            std::string action = ev.value("Action", ev.value("status", ""));
            std::string id = ev.value("id", "");
            if (id.empty() && ev.contains("Actor")) id = ev["Actor"].value("ID", "");
            if (id.empty()) return true;
            std::lock_guard l(st->mu);
            auto it = std::find_if(st->slots.begin(), st->slots.end(),
                                   [&](auto& s) { return s->id == id; });
            if (action == "die") {
                if (!all && it != st->slots.end()) st->slots.erase(it);
                return true;
            }
            if ((action != "start" && !(all && action == "create")) || it != st->slots.end())
                return true;
            auto slot = std::make_shared<Entry>();
            slot->container = slot->id = id;
            std::string name;
            if (ev.contains("Actor") && ev["Actor"].contains("Attributes"))
                name = ev["Actor"]["Attributes"].value("name", "");
            if (!name.empty()) slot->name = "/" + name;
            st->slots.push_back(slot);
            watchStats(st, slot, globals, host);
            return true;
        });
        (void)(*client)->stream(r, [&](std::string_view d) { return lines.feed(d); });
    }).detach();
}

Result<int> live(Ctx& ctx, const Flags& f, std::vector<Entry> initial) {
    auto st = std::make_shared<LiveState>();
    auto host = ctx.hostUrl();
    if (f.args().empty()) followEvents(st, f.b("all"), ctx.globals(), host);
    {
        std::lock_guard l(st->mu);
        for (auto& e : initial) {
            auto slot = std::make_shared<Entry>(std::move(e));
            st->slots.push_back(slot);
            watchStats(st, slot, ctx.globals(), host);
        }
    }
    bool tty = ctx.outIsTerminal();
    if (tty) ctx.out("\033[2J");
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::vector<Entry> snap;
        {
            std::lock_guard l(st->mu);
            for (auto& slot : st->slots) snap.push_back(*slot);
        }
        // A named container that does not exist ends the command, as docker's.
        if (!f.args().empty())
            for (auto& e : snap)
                if (!e.error.empty() && !e.valid && e.name.empty()) return Error{0, e.error, true};
        auto text = render(f.s("format"), snap, !f.b("no-trunc"));
        if (!text) return Error{0, text.error().msg, true};
        if (!tty) {
            ctx.out(*text);
            continue;
        }
        // Home, each line cleared to its end, then the rest of the screen cleared.
        std::string frame = "\033[H";
        size_t start = 0;
        while (start < text->size()) {
            size_t nl = text->find('\n', start);
            if (nl == std::string::npos) nl = text->size();
            frame += text->substr(start, nl - start) + "\033[K\n";
            start = nl + 1;
        }
        frame += "\033[J";
        ctx.out(frame);
    }
}

Result<int> runStats(Ctx& ctx, const Flags& f) {
    auto entries = TRY(targets(ctx, f));
    if (f.b("no-stream")) return noStream(ctx, f, std::move(entries));
    return live(ctx, f, std::move(entries));
}

}  // namespace

Command cmdStats() {
    Command c;
    c.name = "stats";
    c.use = "[OPTIONS] [CONTAINER...]";
    c.shortHelp = "Display a live stream of container(s) resource usage statistics";
    c.minArgs = 0;
    c.maxArgs = -1;
    c.flags = [](Flags& f) {
        f.boolean("all", 'a', "Show all containers (default shows just running)");
        f.string("format", 0, "", kInfoFormatListUsage);
        f.boolean("no-stream", 0, "Disable streaming stats and only pull the first result");
        f.boolean("no-trunc", 0, "Do not truncate output");
    };
    c.run = runStats;
    return c;
}

}  // namespace berth::cli
