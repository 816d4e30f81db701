#include "cli/verbs/container_run.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

#include "cli/client.h"
#include "cli/jsonmessage.h"
#include "cli/tty.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

void reportVerbError(Ctx& ctx, std::string_view verb, std::string_view msg) {
    ctx.err(fmt::format("berth: {}\n\nRun 'berth {} --help' for more information\n", msg, verb));
}

int reportOptsError(Ctx& ctx, std::string_view verb, std::string_view use, const Error& e) {
    if (e.code == kOptsFlagError)
        ctx.err(
            fmt::format("{}\n\nUsage:  berth {} {}\n\nRun 'berth {} --help' for more "
                        "information\n",
                        e.msg, verb, use, verb));
    else
        reportVerbError(ctx, verb, e.msg);
    return kExitCliError;
}

int startErrorStatus(std::string_view msg) {
    std::string m(msg);
    const std::string prefix = "Error response from daemon: ";
    if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
    if (m.find("executable file not found") != std::string::npos ||
        m.find("no such file or directory") != std::string::npos ||
        m.find("system cannot find the file specified") != std::string::npos)
        return 127;
    if (m.find("permission denied") != std::string::npos ||
        m.find("is a directory") != std::string::npos)
        return 126;
    return kExitCliError;
}

std::string taggedRef(std::string_view image) {
    std::string s(image);
    auto slash = s.rfind('/');
    std::string last = slash == std::string::npos ? s : s.substr(slash + 1);
    if (last.find(':') == std::string::npos && s.find('@') == std::string::npos) s += ":latest";
    for (const char* p : {"docker.io/library/", "index.docker.io/library/", "docker.io/"})
        if (s.rfind(p, 0) == 0 && s.find('/', std::string_view(p).size()) == std::string::npos) {
            s = s.substr(std::string_view(p).size());
            break;
        }
    return s;
}

namespace {

// fromImage (the full name, docker.io/library/... as docker normalises it) and tag/digest.
std::pair<std::string, std::string> pullQuery(const std::string& image) {
    std::string name = image, tag;
    auto at = name.find('@');
    if (at != std::string::npos) {
        tag = name.substr(at + 1);
        name = name.substr(0, at);
    } else {
        auto slash = name.rfind('/');
        auto colon = name.rfind(':');
        if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
            tag = name.substr(colon + 1);
            name = name.substr(0, colon);
        }
    }
    if (tag.empty()) tag = "latest";
    auto slash = name.find('/');
    std::string first = slash == std::string::npos ? "" : name.substr(0, slash);
    bool hasRegistry =
        !first.empty() && (first.find_first_of(".:") != std::string::npos || first == "localhost");
    if (!hasRegistry)
        name = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + name;
    return {name, tag};
}

Status pullImage(Ctx& ctx, const ContainerSpec& spec) {
    auto [from, tag] = pullQuery(spec.image);
    Request r;
    r.method = "POST";
    r.path =
        "/images/create" + query({{"fromImage", from}, {"tag", tag}, {"platform", spec.platform}});
    std::string auth = ctx.registryAuthHeader(registryOf(spec.image));
    r.headers.emplace_back("X-Registry-Auth", auth.empty() ? "e30=" : auth);
    // run/create show the pull on stderr (nothing with -q; errors still count).
    UniqueFd devNull;
    JsonMessageOptions jo;
    jo.outFd = ctx.errFd;
    jo.terminal = isTerminal(ctx.errFd);
    if (spec.quiet) {
        devNull = UniqueFd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        jo.outFd = devNull.get();
        jo.terminal = false;
    }
    JsonMessageStream js(jo);
    Status fed;
    auto* c = TRY(ctx.client());
    auto resp = TRY(c->stream(r, [&](std::string_view d) {
        fed = js.feed(d);
        return fed.ok();
    }));
    if (!resp.ok()) return apiError(resp);
    TRY(fed);
    return js.finish();
}

Result<Response> postCreate(Ctx& ctx, const ContainerSpec& spec, const std::string& body) {
    auto* c = TRY(ctx.client());
    Request r;
    r.method = "POST";
    r.path = "/containers/create" + query({{"name", spec.name}, {"platform", spec.platform}});
    r.body = body;
    return c->call(r);
}

}  // namespace

Result<std::string> createContainer(Ctx& ctx, const ContainerSpec& spec, int rows, int cols) {
    std::string body = spec.body;
    if (rows > 0 && cols > 0) {
        auto j = json::parse(body);
        j["HostConfig"]["ConsoleSize"] = {rows, cols};
        body = j.dump();
    }
    // --cidfile must not exist yet (docker refuses to overwrite it).
    if (!spec.cidfile.empty() && ::access(spec.cidfile.c_str(), F_OK) == 0)
        return invalid(
            "container ID file found, make sure the other container isn't running or "
            "delete {}",
            spec.cidfile);
    if (spec.pull == "always") TRY(pullImage(ctx, spec));
    auto resp = TRY(postCreate(ctx, spec, body));
    if (resp.status == 404 && spec.pull == "missing" &&
        resp.body.find("No such image") != std::string::npos) {
        ctx.err(fmt::format("Unable to find image '{}' locally\n", taggedRef(spec.image)));
        TRY(pullImage(ctx, spec));
        resp = TRY(postCreate(ctx, spec, body));
    }
    if (!resp.ok()) return apiError(resp);
    auto j = json::parse(resp.body, nullptr, false);
    if (j.is_discarded() || !j.contains("Id")) return makeError(EPROTO, "invalid create response");
    if (j.contains("Warnings") && j["Warnings"].is_array())
        for (auto& w : j["Warnings"]) ctx.err("WARNING: " + w.get<std::string>() + "\n");
    std::string id = j["Id"];
    if (!spec.cidfile.empty()) {
        std::ofstream f(spec.cidfile);
        if (!f)
            return invalid("failed to create the container ID file: open {}: {}", spec.cidfile,
                           std::strerror(errno));
        f << id;
    }
    return id;
}

// --- ExitWaiter ---

struct ExitWaiter::State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Result<int> result = 0;
};

Result<std::unique_ptr<ExitWaiter>> ExitWaiter::start(Ctx& ctx, const std::string& id,
                                                      const std::string& condition) {
    // The daemon answers the headers once the wait is registered, so a hijacked request
    // returns exactly then; the body (one JSON line, chunked) is read on a thread.
    auto client = TRY(Client::open(ctx.globals(), ctx.hostUrl()));
    Request r;
    r.method = "POST";
    r.path = "/containers/" + id + "/wait" + query({{"condition", condition}});
    auto h = TRY(client->hijack(r));
    std::unique_ptr<ExitWaiter> w(new ExitWaiter());
    w->st_ = std::make_shared<State>();
    auto st = w->st_;
    auto conn = std::make_shared<Hijacked>(std::move(h));
    std::thread([st, conn, keep = std::shared_ptr<Client>(std::move(client))] {
        std::string buf = conn->early;
        char tmp[4096];
        Result<int> res = makeError(EPIPE, "the daemon closed the wait stream");
        for (;;) {
            auto end = buf.find("}\n");
            auto start = buf.find('{');
            if (end != std::string::npos && start != std::string::npos && start < end) {
                auto j = json::parse(buf.substr(start, end - start + 1), nullptr, false);
                if (j.is_discarded()) {
                    res = makeError(EPROTO, "invalid wait response");
                } else if (j.contains("Error") && j["Error"].is_object() &&
                           !j["Error"].value("Message", "").empty()) {
                    res = Error{0, j["Error"].value("Message", ""), true};
                } else {
                    res = j.value("StatusCode", 0);
                }
                break;
            }
            ssize_t n = conn->conn->readSome(tmp, sizeof tmp);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            buf.append(tmp, static_cast<size_t>(n));
        }
        std::lock_guard lk(st->mu);
        st->result = std::move(res);
        st->done = true;
        st->cv.notify_all();
    }).detach();
    return w;
}

ExitWaiter::~ExitWaiter() = default;

Result<int> ExitWaiter::result() {
    std::unique_lock lk(st_->mu);
    st_->cv.wait(lk, [&] { return st_->done; });
    return st_->result;
}

// --- SignalProxy ---

namespace {

const int kProxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};

}  // namespace

struct SignalProxy::State {
    std::atomic<bool> stopped{false};
};

SignalProxy::SignalProxy(Ctx& ctx, std::string path) : st_(std::make_shared<State>()) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kProxied) sigaddset(&set, s);
    // Blocked here (and in threads started later); one thread takes them with sigwait.
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    Globals g = ctx.globals();
    std::string host = ctx.hostUrl();
    std::thread([st = st_, set, g, host, path] {
        std::unique_ptr<Client> client;
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (st->stopped) continue;
            if (!client) {
                auto c = Client::open(g, host);
                if (!c) continue;
                client = std::move(*c);
            }
            Request r;
            r.method = "POST";
            r.path = path + "?signal=" + std::to_string(sig);
            (void)client->call(r);
        }
    }).detach();
}

SignalProxy::~SignalProxy() {
    st_->stopped = true;
}

// --- Sessions ---

Result<Hijacked> openHijacked(Ctx& ctx, const std::string& path, const std::string& body) {
    auto client = TRY(Client::open(ctx.globals(), ctx.hostUrl()));
    Request r;
    r.method = "POST";
    r.path = path;
    r.body = body;
    if (body.empty()) r.contentType = "text/plain";
    return client->hijack(r);
}

Result<PumpResult> runSession(Ctx& ctx, Hijacked& h, const SessionOptions& o) {
    PumpOptions po;
    po.inFd = o.stdinAttached ? ctx.inFd : -1;
    po.outFd = ctx.outFd;
    // With a TTY stderr comes on the one raw stream, to our stdout (as docker).
    po.errFd = ctx.errFd;
    po.tty = o.tty;
    po.detachKeys = o.detachKeys.empty() ? kDefaultDetachKeys : o.detachKeys;
    h.tty = o.tty;
    std::optional<RawMode> raw;
    if (o.tty && o.stdinAttached && isTerminal(ctx.inFd)) {
        auto r = RawMode::enable(ctx.inFd);
        if (r) raw.emplace(std::move(*r));
    }
    if (o.tty && !o.resizePath.empty() && (isTerminal(ctx.outFd) || isTerminal(ctx.inFd))) {
        std::string path = o.resizePath;
        po.onResize = [&ctx, path](int rows, int cols) {
            auto c = ctx.client();
            if (!c) return;
            Request r;
            r.method = "POST";
            r.path = path + query({{"h", std::to_string(rows)}, {"w", std::to_string(cols)}});
            (void)(*c)->call(r);
        };
    }
    auto res = pumpHijacked(h, po);
    if (raw) raw->restore();
    // Printed as docker prints a stream error: the text alone.
    if (!res) return Error{0, res.error().msg, true};
    return res;
}

}  // namespace berth::cli
