// The project options, daemon calls and container listing shared by the compose verbs.
#include "cli/compose/session.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <thread>

#include "cli/client.h"
#include "cli/verbs/image_io.h"
#include "cli/verbs/util.h"
#include "compose/graph.h"
#include "compose/labels.h"
#include "compose/loader.h"
#include "compose/values.h"

extern char** environ;

namespace berth::cli::compose {

namespace lbl = berth::compose::label;

void defineProjectFlags(Flags& f) {
    f.string("ansi", 0, "auto",
             "Control when to print ANSI control characters (\"never\"|\"always\"|\"auto\")");
    f.list("env-file", 0, "Specify an alternate environment file", "stringArray");
    f.list("file", 'f', "Compose configuration files", "stringArray");
    f.integer("parallel", 0, -1, "Control max parallelism, -1 for unlimited");
    f.list("profile", 0, "Specify a profile to enable", "stringArray");
    f.string("progress", 0, "auto", "Set type of progress output (auto, tty, plain, json, quiet)");
    f.string("project-directory", 0, "",
             "Specify an alternate working directory\n(default: the path of the, first specified, "
             "Compose file)")
        .noDefault();
    f.string("project-name", 'p', "", "Project name");
}

namespace {

std::map<std::string, std::string> processEnv() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; e++) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    return env;
}

const Flags& projectFlags(Ctx& ctx) {
    static Flags empty = [] {
        Flags f;
        defineProjectFlags(f);
        (void)f.parse({});
        return f;
    }();
    return ctx.parentFlags ? *ctx.parentFlags : empty;
}

}  // namespace

Result<model::Project> loadProject(Ctx& ctx, const LoadWhat& what) {
    const Flags& f = projectFlags(ctx);
    model::LoadOptions o;
    o.files = f.l("file");
    if (o.files.empty()) {
        if (const char* cf = std::getenv("COMPOSE_FILE"); cf && *cf) {
            std::string_view s(cf);
            const char* sep = std::getenv("COMPOSE_PATH_SEPARATOR");
            char c = sep && *sep ? sep[0] : ':';
            while (!s.empty()) {
                auto p = s.find(c);
                o.files.emplace_back(s.substr(0, p));
                if (p == std::string_view::npos) break;
                s.remove_prefix(p + 1);
            }
        }
    }
    if (std::find(o.files.begin(), o.files.end(), "-") != o.files.end())
        o.stdinText = TRY(readAll(ctx.inFd));
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) o.workingDir = cwd;
    o.projectDirectory = f.s("project-directory");
    o.projectName = f.s("project-name");
    o.profiles = f.l("profile");
    o.envFiles = f.l("env-file");
    o.environ = processEnv();
    o.explicitServices = what.services;
    o.interpolate = what.interpolate;
    o.normalize = what.normalize;
    o.resolvePaths = what.resolvePaths;
    auto p = TRY(model::loadProject(o));
    // A dependency cycle is an error of the file, before anything starts.
    if (p.model.contains("services")) TRY(model::startOrder(p.model, {}, false));
    if (what.warnings)
        for (auto& w : p.warnings) ctx.err("WARN[0000] " + w + "\n");
    return p;
}

Result<std::string> projectNameOnly(Ctx& ctx, model::Project* loaded) {
    auto p = loadProject(ctx);
    if (p) {
        std::string n = p->name;
        if (loaded) *loaded = std::move(*p);
        return n;
    }
    const Flags& f = projectFlags(ctx);
    std::string name = f.s("project-name");
    if (name.empty())
        if (const char* v = std::getenv("COMPOSE_PROJECT_NAME"); v && *v) name = v;
    // Without a file the name given is enough to find the project by its labels.
    if (!name.empty() && p.error().msg.find("no configuration file provided") != std::string::npos)
        return name;
    return std::move(p).error();
}

std::string Ctr::label(const std::string& key) const {
    if (!raw.contains("Labels") || !raw["Labels"].is_object()) return {};
    auto it = raw["Labels"].find(key);
    return it != raw["Labels"].end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Ctr::hash() const {
    return label(lbl::kConfigHash);
}

Result<std::vector<Ctr>> listContainers(Ctx& ctx, const std::string& project, bool all,
                                        const std::vector<std::string>& services, Oneoff oneoff) {
    json filters = {{"label", json::array({std::string(lbl::kProject) + "=" + project})}};
    json list = TRY(apiGet(
        ctx, "/containers/json" + query({{"all", all ? "1" : ""}, {"filters", filters.dump()}})));
    std::vector<Ctr> out;
    for (auto& c : list) {
        Ctr r;
        r.raw = c;
        r.id = c.value("Id", "");
        if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty()) {
            r.name = c["Names"][0].get<std::string>();
            if (!r.name.empty() && r.name[0] == '/') r.name.erase(0, 1);
        }
        r.service = r.label(lbl::kService);
        r.state = c.value("State", "");
        r.image = c.value("Image", "");
        r.number = std::atoi(r.label(lbl::kContainerNumber).c_str());
        r.oneoff = r.label(lbl::kOneoff) == "True";
        if (oneoff == Oneoff::Exclude && r.oneoff) continue;
        if (oneoff == Oneoff::Only && !r.oneoff) continue;
        if (!services.empty() &&
            std::find(services.begin(), services.end(), r.service) == services.end())
            continue;
        out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const Ctr& a, const Ctr& b) {
        if (a.service != b.service) return a.service < b.service;
        if (a.number != b.number) return a.number < b.number;
        return a.name < b.name;
    });
    return out;
}

std::string labelValue(const json& inspect, const std::string& key) {
    const json& cfg = inspect.contains("Config") ? inspect["Config"] : inspect;
    if (!cfg.contains("Labels") || !cfg["Labels"].is_object()) return {};
    auto it = cfg["Labels"].find(key);
    return it != cfg["Labels"].end() && it->is_string() ? it->get<std::string>() : "";
}

void event(Ctx& ctx, std::string_view kind, std::string_view name, std::string_view status) {
    if (projectFlags(ctx).s("progress") == "quiet") return;
    static std::mutex mu;
    std::lock_guard lock(mu);
    ctx.err(fmt::format(" {} {}  {}\n", kind, name, status));
}

Result<json> inspectContainer(Ctx& ctx, const std::string& id) {
    return apiGet(ctx, "/containers/" + urlEncode(id) + "/json");
}

Result<std::string> createContainer(Ctx& ctx, const std::string& name, const json& body) {
    json r = TRY(apiPost(ctx, "/containers/create" + query({{"name", name}}), body));
    return r.value("Id", "");
}

// 304 (already in that state: started, stopped) is a success, as for docker.
Status startContainer(Ctx& ctx, const std::string& id) {
    auto r = apiPost(ctx, "/containers/" + urlEncode(id) + "/start", nullptr);
    if (!r && r.error().code != 304) return std::move(r).error();
    return {};
}

Status stopContainer(Ctx& ctx, const std::string& id, std::optional<int> timeoutSec) {
    std::string t = timeoutSec ? std::to_string(*timeoutSec) : "";
    auto r = apiPost(ctx, "/containers/" + urlEncode(id) + "/stop" + query({{"t", t}}), nullptr);
    if (!r && r.error().code != 304) return std::move(r).error();
    return {};
}

Status killContainer(Ctx& ctx, const std::string& id, const std::string& signal) {
    TRY(apiPost(ctx, "/containers/" + urlEncode(id) + "/kill" + query({{"signal", signal}}),
                nullptr));
    return {};
}

Status removeContainer(Ctx& ctx, const std::string& id, bool force, bool volumes) {
    Request r;
    r.method = "DELETE";
    r.path = "/containers/" + urlEncode(id) +
             query({{"force", force ? "1" : ""}, {"v", volumes ? "1" : ""}});
    TRY(apiCall(ctx, std::move(r)));
    return {};
}

Status renameContainer(Ctx& ctx, const std::string& id, const std::string& name) {
    TRY(apiPost(ctx, "/containers/" + urlEncode(id) + "/rename" + query({{"name", name}}),
                nullptr));
    return {};
}

Status connectNetwork(Ctx& ctx, const std::string& network, const std::string& id,
                      const json& endpoint) {
    TRY(apiPost(ctx, "/networks/" + urlEncode(network) + "/connect",
                json{{"Container", id}, {"EndpointConfig", endpoint}}));
    return {};
}

Status putArchive(Ctx& ctx, const std::string& id, const std::string& dir, const std::string& tar) {
    Request r;
    r.method = "PUT";
    r.path = "/containers/" + urlEncode(id) + "/archive" + query({{"path", dir}});
    r.body = tar;
    r.contentType = "application/x-tar";
    TRY(apiCall(ctx, std::move(r)));
    return {};
}

Result<json> inspectOrNull(Ctx& ctx, const std::string& path) {
    auto* client = TRY(ctx.client());
    Request r;
    r.path = path;
    auto resp = TRY(client->call(r));
    if (resp.status == 404) return json(nullptr);
    if (!resp.ok()) return apiError(resp);
    return json::parse(resp.body, nullptr, false);
}

std::optional<int> stopTimeout(const json& service, std::optional<int> override) {
    if (override) return override;
    auto it = service.find("stop_grace_period");
    if (it == service.end() || !it->is_string()) return std::nullopt;
    auto ns = model::parseDurationNs(it->get<std::string>());
    if (!ns) return std::nullopt;
    return static_cast<int>((*ns + 999999999) / 1000000000);
}

Status parallel(Ctx& ctx, size_t n, const std::function<Status(Ctx&, size_t)>& fn) {
    if (n == 0) return {};
    if (n == 1) return fn(ctx, 0);
    // --parallel N (or COMPOSE_PARALLEL_LIMIT): at most N at once in each fan-out.
    int64_t limit = projectFlags(ctx).i("parallel");
    if (limit < 0)
        if (const char* e = std::getenv("COMPOSE_PARALLEL_LIMIT"); e && *e)
            limit = std::strtoll(e, nullptr, 10);
    size_t workers = limit > 0 ? std::min(n, static_cast<size_t>(limit)) : n;
    std::vector<Status> results(n);
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (size_t w = 0; w < workers; w++) {
        threads.emplace_back([&] {
            Ctx sub(ctx.globals());
            sub.inFd = ctx.inFd;
            sub.outFd = ctx.outFd;
            sub.errFd = ctx.errFd;
            sub.parentFlags = ctx.parentFlags;
            for (size_t i; (i = next++) < n;) results[i] = fn(sub, i);
        });
    }
    for (auto& t : threads) t.join();
    for (auto& r : results)
        if (!r) return r;
    return {};
}

struct ProjectEvents::State {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t seq = 0;
    bool live = false, stop = false;
};

ProjectEvents::ProjectEvents(Ctx& ctx, const std::string& project)
    : st_(std::make_shared<State>()) {
    json filters = {{"type", {"container"}},
                    {"label", {std::string(lbl::kProject) + "=" + project}}};
    // From a moment ago: the daemon replays what its bus kept since then and goes on live
    // without a gap, so nothing that happens while the request is on its way is missed (an
    // event counted twice only makes a wait look once more).
    auto since = std::chrono::system_clock::now().time_since_epoch() - std::chrono::seconds(2);
    Request r;
    r.path = "/events?since=" +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) +
             "&filters=" + urlEncode(filters.dump());
    auto client = Client::open(ctx.globals(), ctx.globals().host);
    if (!client) return;  // waits fall back to polling
    std::shared_ptr<State> st = st_;
    std::shared_ptr<Client> c(std::move(*client));
    std::thread([st, c, r] {
        (void)c->stream(r, [&](std::string_view d) {
            std::lock_guard lk(st->mu);
            if (st->stop) return false;
            if (d.find('\n') != std::string_view::npos) st->seq++;
            st->cv.notify_all();
            return true;
        });
        std::lock_guard lk(st->mu);
        st->live = false;
        st->cv.notify_all();
    }).detach();
    std::lock_guard lk(st_->mu);
    st_->live = true;
}

ProjectEvents::~ProjectEvents() {
    std::lock_guard lk(st_->mu);
    st_->stop = true;
}

uint64_t ProjectEvents::seq() const {
    std::lock_guard lk(st_->mu);
    return st_->seq;
}

void ProjectEvents::wait(uint64_t seen, std::chrono::milliseconds max) {
    std::unique_lock lk(st_->mu);
    auto limit = st_->live ? max : std::chrono::milliseconds(10);
    st_->cv.wait_for(lk, limit, [&] { return st_->seq != seen || !st_->live; });
}

bool useColour(Ctx& ctx) {
    const Flags& f = projectFlags(ctx);
    const std::string& a = f.s("ansi");
    if (a == "never") return false;
    if (a == "always") return true;
    if (const char* nc = std::getenv("NO_COLOR"); nc && *nc) return false;
    return ctx.outIsTerminal();
}

}  // namespace berth::cli::compose
