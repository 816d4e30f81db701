// Exec routes: create, start (hijack unless detached), resize, inspect.
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/context.h"
#include "monitor/mux.h"

namespace berth::api {

using nlohmann::json;

namespace {

std::string stringField(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status create(Context& c, Exchange& ex) {
    auto body = TRY(ex.bodyJson(false));
    if (!body.is_object()) return invalid("invalid JSON: expected an ExecConfig object");
    if (auto k = body.find("DetachKeys"); k != body.end() && k->is_string())
        TRY(parseDetachKeys(k->get<std::string>()));
    auto execId = TRY(c.engine.execCreate(ex.req().params[0], body));
    return ex.sendJson(201, json{{"Id", execId}});
}

Status start(Context& c, Exchange& ex) {
    auto body = TRY(ex.bodyJson(true));
    if (body.is_null()) body = json::object();
    if (!body.is_object()) return invalid("invalid JSON: expected an ExecStartConfig object");
    if (body.value("Detach", false)) {
        TRY(c.engine.execStart(ex.req().params[0], body));
        return ex.sendNoContent(200);
    }
    // As dockerd: the handshake goes out before the process starts. A client that reads the
    // answer through a buffered reader and then the raw socket (docker-py) would otherwise lose
    // output that arrived together with the headers.
    auto info = TRY(c.engine.execInspect(ex.req().params[0]));
    bool tty =
        body.contains("Tty") ? body.value("Tty", false) : info["ProcessConfig"].value("tty", false);
    // The keys given at start win over those of exec create; checked before the handshake.
    std::string spec = stringField(body, "DetachKeys");
    if (spec.empty()) spec = stringField(info, "DetachKeys");
    auto keys = TRY(parseDetachKeys(spec));
    // Watched only on a TTY's stdin, as dockerd.
    if (!tty || !info.value("OpenStdin", false)) keys.clear();
    TRY(ex.hijackBegin(tty ? "application/vnd.docker.raw-stream"
                           : "application/vnd.docker.multiplexed-stream"));
    auto s = c.engine.execStart(ex.req().params[0], body);
    if (!s) {
        // Only the stream is left to tell the client: dockerd writes the error text there, as
        // a stdout frame when the stream is multiplexed.
        std::string msg = s.error().str() + "\r\n";
        (void)ex.hijackWriteRaw(tty ? msg : monitor::mux::frame(1, msg));
        return okStatus();
    }
    // The output ends when the process closes it, a moment before its exit is recorded: the
    // client inspects the exec for its exit code right after EOF (docker's CLI does), so EOF
    // waits for the exit (bounded: a process may close its output and live on).
    std::string id = ex.req().params[0];
    return ex.hijackPump(s->fd.get(), keys, [&c, id] {
        for (int i = 0; i < 500; i++) {
            auto x = c.engine.execInspect(id);
            if (!x || !(*x).value("Running", false)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    });
}

Status resize(Context& c, Exchange& ex) {
    int h = static_cast<int>(TRY(queryInt(ex.req(), "h", 0)));
    int w = static_cast<int>(TRY(queryInt(ex.req(), "w", 0)));
    TRY(c.engine.execResize(ex.req().params[0], h, w));
    return ex.sendNoContent(201);
}

Status inspect(Context& c, Exchange& ex) {
    return ex.sendJson(200, TRY(c.engine.execInspect(ex.req().params[0])));
}

}  // namespace

void addExecRoutes(Router& r) {
    r.add("POST", "/containers/{}/exec", create);
    r.add("POST", "/exec/{}/start", start);
    r.add("POST", "/exec/{}/resize", resize);
    r.add("GET", "/exec/{}/json", inspect);
}

}  // namespace berth::api
