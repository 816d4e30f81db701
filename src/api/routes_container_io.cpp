// Container I/O routes: logs, attach (hijack), export, stats, archive (docker cp).
#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "api/context.h"
#include "api/stream_out.h"

namespace berth::api {

using nlohmann::json;

namespace {

const char* kMux = "application/vnd.docker.multiplexed-stream";
const char* kRaw = "application/vnd.docker.raw-stream";

const std::string& id(const Exchange& ex) {
    return ex.req().params[0];
}

Result<bool> isTty(Context& c, const std::string& idOrName) {
    auto j = TRY(c.engine.inspect(idOrName, false));
    if (j.contains("Config") && j["Config"].is_object()) return j["Config"].value("Tty", false);
    return false;
}

// docker's 8-byte frame header: stream, 0, 0, 0, big-endian length.
void appendFrame(std::string& out, int stream, std::string_view data) {
    uint32_t n = htonl(static_cast<uint32_t>(data.size()));
    char h[8] = {static_cast<char>(stream), 0, 0, 0};
    memcpy(h + 4, &n, 4);
    out.append(h, 8);
    out.append(data);
}

Status logs(Context& c, Exchange& ex) {
    const auto& r = ex.req();
    engine::LogOptions o;
    o.stdoutStream = r.qBool("stdout");
    o.stderrStream = r.qBool("stderr");
    if (!o.stdoutStream && !o.stderrStream)
        return invalid("Bad parameters: you must choose at least one stream");
    o.follow = r.qBool("follow");
    o.timestamps = r.qBool("timestamps");
    o.sinceNs = TRY(parseTimestamp(r.q("since")));
    o.untilNs = TRY(parseTimestamp(r.q("until")));
    auto tail = r.q("tail", "all");
    // As moby: anything but a number ("all", "bogus") is every line.
    auto n = parseInt(tail, "tail");
    o.tail = n && *n >= 0 ? static_cast<int>(*n) : -1;
    // --details: the entry's attributes (log-opt labels/env, which berth does not record)
    // and a space before each line, as moby writes them.
    bool details = r.qBool("details");
    bool tty = TRY(isTty(c, id(ex)));
    TRY(ex.beginStream(200, tty ? kRaw : kMux));
    std::string frame;
    auto st = c.engine.logs(id(ex), o, [&](int stream, std::string_view data, int64_t t) {
        frame.clear();
        std::string line;
        if (o.timestamps || details) {
            if (o.timestamps) line = rfc3339Nano(t) + " ";
            if (details) line += " ";
            line.append(data);
            data = line;
        }
        if (tty)
            frame.assign(data);
        else
            appendFrame(frame, stream, data);
        return ex.writeChunk(frame).ok() && !ex.serverStopping();
    });
    if (!st && ex.responseStarted()) return ex.endStream();
    return st;
}

Status attach(Context& c, Exchange& ex) {
    const auto& r = ex.req();
    engine::AttachOptions o;
    o.stdinStream = r.qBool("stdin");
    o.stdoutStream = r.qBool("stdout");
    o.stderrStream = r.qBool("stderr");
    o.stream = r.qBool("stream");
    o.logs = r.qBool("logs");
    o.detachKeys = r.q("detachKeys");
    // Checked before the handshake: a bad spec is a 400, as dockerd.
    auto keys = TRY(parseDetachKeys(o.detachKeys));
    auto info = TRY(c.engine.inspect(id(ex), false));
    bool tty = info["Config"].value("Tty", false);
    // As dockerd, the keys are only watched on a TTY's stdin: without a TTY, closing the
    // stream would end a StdinOnce container's stdin, which a detach must not do.
    if (!tty || !o.stdinStream) keys.clear();
    bool begun = false;
    auto s = c.engine.attach(id(ex), o, [&]() -> Status {
        begun = true;
        return ex.hijackBegin(tty ? kRaw : kMux);
    });
    if (!s && !begun) return std::move(s).error();
    if (!s) {
        // The handshake is out: the error can only go into the stream.
        return s.error().wrap("attach");
    }
    return ex.hijackPump(s->fd.get(), keys);
}

Status exportRootfs(Context& c, Exchange& ex) {
    TRY(c.engine.resolve(id(ex)));
    LazyStream out(ex, "application/x-tar");
    auto st = c.engine.exportRootfs(id(ex), [&](std::string_view d) { return out.write(d); });
    if (!st && ex.responseStarted()) return ex.endStream();
    return out.finish(st);
}

Status stats(Context& c, Exchange& ex) {
    bool stream = ex.req().qBool("stream", true);
    bool oneShot = ex.req().qBool("one-shot");
    TRY(c.engine.resolve(id(ex)));
    LazyStream out(ex, "application/json");
    auto st = c.engine.stats(id(ex), stream, oneShot, [&](const json& j) {
        return out.write(j.dump() + "\n").ok() && !ex.serverStopping();
    });
    if (!st && ex.responseStarted()) return ex.endStream();
    return out.finish(st);
}

Result<std::string> statHeader(Context& c, Exchange& ex) {
    auto path = ex.req().q("path");
    if (path.empty()) return invalid("bad parameter: path cannot be empty");
    auto j = TRY(c.engine.pathStat(id(ex), path));
    return base64Encode(j.dump());
}

Status archiveHead(Context& c, Exchange& ex) {
    auto h = TRY(statHeader(c, ex));
    return ex.send(200, "", "", {{"X-Docker-Container-Path-Stat", h}});
}

Status archiveGet(Context& c, Exchange& ex) {
    auto h = TRY(statHeader(c, ex));
    TRY(ex.beginStream(200, "application/x-tar", {{"X-Docker-Container-Path-Stat", h}}));
    auto st = c.engine.getArchive(id(ex), ex.req().q("path"),
                                  [&](std::string_view d) { return ex.writeChunk(d); });
    // A tar stream cannot carry an error: a failure mid-way ends it short (the CLI notices).
    (void)st;
    return ex.endStream();
}

Status archivePut(Context& c, Exchange& ex) {
    auto path = ex.req().q("path");
    if (path.empty()) return invalid("bad parameter: path cannot be empty");
    TRY(c.engine.putArchive(
        id(ex), path, [&](void* buf, size_t n) { return ex.readBody(buf, n); },
        ex.req().qBool("noOverwriteDirNonDir"), ex.req().qBool("copyUIDGID")));
    return ex.sendNoContent(200);
}

}  // namespace

void addContainerIoRoutes(Router& r) {
    r.add("GET", "/containers/{}/logs", logs);
    r.add("POST", "/containers/{}/attach", attach);
    r.add("GET", "/containers/{}/export", exportRootfs);
    r.add("GET", "/containers/{}/stats", stats);
    r.add("HEAD", "/containers/{}/archive", archiveHead);
    r.add("GET", "/containers/{}/archive", archiveGet);
    r.add("PUT", "/containers/{}/archive", archivePut);
}

}  // namespace berth::api
