// POST /build (classic builder). The build runs in a child process (`berthd --build-helper`):
// the builder forks for RUN steps, and forking this multi-threaded daemon is unsafe (another
// thread may hold a lock the child then needs). The child gets a JSON options line and the
// context tar on stdin and writes docker's JSON stream on stdout, which is relayed as is.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/context.h"
#include "api/stream_out.h"
#include "common/log.h"
#include "image/build/cache.h"
#include "image/service.h"

extern char** environ;

namespace berth::api {

using nlohmann::json;

namespace {

Result<json> buildOptions(Context& c, const Request& r) {
    json o{{"tags", r.qAll("t")},
           {"dockerfile", r.q("dockerfile", "Dockerfile")},
           {"target", r.q("target")},
           {"noCache", r.qBool("nocache")},
           {"quiet", r.qBool("q")},
           {"pull", r.qBool("pull")},
           {"network", r.q("networkmode") == "host" ? "host" : "none"},
           {"insecureRegistries", c.info.insecureRegistries},
           {"buildArgs", json::object()},
           {"labels", json::object()}};
    if (r.q("version") == "2")
        return invalid("BuildKit is not supported by this daemon: build with DOCKER_BUILDKIT=0");
    if (!r.q("remote").empty())
        return invalid("remote build contexts ({}) are not supported: send a tar context",
                       r.q("remote"));
    for (const char* key : {"buildargs", "labels"}) {
        auto text = r.q(key);
        if (text.empty()) continue;
        auto j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return invalid("invalid {} JSON: {}", key, text);
        json& dst = o[std::string(key) == "buildargs" ? "buildArgs" : "labels"];
        for (auto& [k, v] : j.items())
            if (v.is_string()) dst[k] = v;
    }
    return o;
}

struct Child {
    pid_t pid = -1;
    ~Child() {
        if (pid > 0) {
            ::kill(-pid, SIGKILL);
            int st;
            while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
        }
    }
};

Status writeAll(int fd, std::string_view d) {
    while (!d.empty()) {
        ssize_t n = ::write(fd, d.data(), d.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return errnoError("write to the build helper");
        d.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status build(Context& c, Exchange& ex) {
    auto opts = TRY(buildOptions(c, ex.req()));
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) < 0) return errnoError("pipe");
    UniqueFd inR(in[0]), inW(in[1]);
    if (::pipe2(out, O_CLOEXEC) < 0) return errnoError("pipe");
    UniqueFd outR(out[0]), outW(out[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, inR.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, outW.get(), 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t dfl;
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::string exe = c.info.selfExe.empty() ? "/proc/self/exe" : c.info.selfExe;
    std::vector<std::string> args{"berthd", "--build-helper", c.info.root, c.info.runRoot};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    Child child;
    int rc = ::posix_spawn(&child.pid, exe.c_str(), &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        child.pid = -1;
        return Error{rc, "spawn the build helper " + exe};
    }
    inR.reset();
    outW.reset();

    // Options, then the context as it arrives; the helper reads it all before writing.
    auto st = writeAll(inW.get(), opts.dump() + "\n");
    char buf[65536];
    while (st) {
        auto n = ex.readBody(buf, sizeof buf);
        if (!n) return std::move(n).error().wrap("read the build context");
        if (*n == 0) break;
        st = writeAll(inW.get(), std::string_view(buf, *n));
    }
    inW.reset();

    LazyStream stream(ex, "application/json");
    for (;;) {
        ssize_t n = ::read(outR.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!stream.write(std::string_view(buf, static_cast<size_t>(n))))
            return {};  // client gone: Child's destructor kills the build
    }
    int wst = 0;
    while (::waitpid(child.pid, &wst, 0) < 0 && errno == EINTR) {
    }
    child.pid = -1;
    if (!(WIFEXITED(wst) && WEXITSTATUS(wst) <= 1)) {
        log::warn("build helper ended abnormally (status {:#x})", wst);
        return stream.finish(Error{EIO, "the build helper died"});
    }
    return stream.finish({});
}

// POST /build/prune (docker system prune, docker builder prune): the classic builder's cache
// is its step index; the step images themselves go with `image prune`.
Status buildPrune(Context& c, Exchange& ex) {
    image::build::BuildCache cache(c.images.options().root + "/image/buildcache");
    auto pruned = TRY(cache.prune());
    return ex.sendJson(200, json{{"CachesDeleted", pruned.keys}, {"SpaceReclaimed", pruned.bytes}});
}

}  // namespace

void addBuildRoutes(Router& r) {
    r.add("POST", "/build", build);
    r.add("POST", "/build/prune", buildPrune);
}

}  // namespace berth::api
