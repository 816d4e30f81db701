// The child side of POST /build: `berthd --build-helper ROOT RUNROOT`. Single-threaded until
// the builder starts its own work, so its RUN steps may fork.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/server.h"
#include "common/log.h"
#include "common/scope_guard.h"
#include "common/sys.h"
#include "image/archive/archive.h"
#include "image/build/builder.h"
#include "image/service.h"

namespace berth::api {

using nlohmann::json;

namespace {

Status writeOut(std::string_view s) {
    return sys::writeFd(STDOUT_FILENO, s);
}

// Reads stdin up to the first newline (the options), byte by byte: the rest is the tar.
Result<std::string> readLine() {
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("read build options");
        if (n == 0 || c == '\n') return line;
        line += c;
    }
}

Status runBuild(const std::string& root, const std::string& runRoot, image::Progress& p) {
    auto line = TRY(readLine());
    auto o = json::parse(line, nullptr, false);
    if (o.is_discarded() || !o.is_object()) return invalid("build helper: bad options line");

    auto tmpBase = root + "/tmp";
    TRY(sys::mkdirAll(tmpBase, 0700));
    std::string tmpl = tmpBase + "/build-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return errnoError("mkdtemp {}", tmpl);
    std::string ctxDir = tmpl;
    ScopeGuard cleanup([&] { (void)sys::removeAll(ctxDir); });

    image::archive::UnpackOptions uo;
    uo.overlayWhiteouts = false;
    auto readStdin = [](void* buf, size_t n) -> Result<size_t> {
        for (;;) {
            ssize_t r = ::read(STDIN_FILENO, buf, n);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) return errnoError("read build context");
            return static_cast<size_t>(r);
        }
    };
    TRY_CTX(image::archive::unpackLayer(readStdin, ctxDir, uo), "unpack the build context");

    image::ServiceOptions so;
    so.root = root;
    so.runtimeRoot = runRoot + "/runtime";
    so.insecureRegistries = o.value("insecureRegistries", std::vector<std::string>{});
    auto svc = TRY(image::Service::open(so));

    image::build::BuildOptions bo;
    bo.contextDir = ctxDir;
    bo.dockerfile = o.value("dockerfile", "Dockerfile");
    bo.tags = o.value("tags", std::vector<std::string>{});
    bo.target = o.value("target", "");
    bo.noCache = o.value("noCache", false);
    bo.quiet = o.value("quiet", false);
    bo.pull = o.value("pull", false);
    bo.network = o.value("network", "none");
    bo.buildArgs = o.value("buildArgs", std::map<std::string, std::string>{});
    bo.labels = o.value("labels", std::map<std::string, std::string>{});
    auto id = TRY(image::build::build(*svc, bo, p));
    // docker's quiet build: the ID as the only stream line (the CLI prints it).
    if (bo.quiet) {
        image::ProgressEvent e;
        e.stream = id.str() + "\n";
        p.emit(e);
    }
    return {};
}

}  // namespace

int runBuildHelper(int argc, char** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: berthd --build-helper ROOT RUNROOT\n");
        return 2;
    }
    log::init(log::Options{});
    auto prog = image::makeJsonProgress(writeOut);
    auto st = runBuild(argv[2], argv[3], *prog);
    if (!st) {
        auto m = st.error().code == EINVAL || st.error().quiet ? st.error().msg : st.error().str();
        json j{{"errorDetail", {{"message", m}}}, {"error", m}};
        (void)writeOut(j.dump() + "\n");
        return 1;
    }
    return 0;
}

}  // namespace berth::api
