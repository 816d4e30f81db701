// berth-image: the image layer's command line (see CMakeLists.txt).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "runtime/cloned_binary.h"

extern char** environ;

namespace berth::imgcli {

image::Service& Context::service() {
    if (!svc) {
        auto s = image::Service::open(opts);
        if (!s) {
            fprintf(stderr, "berth-image: %s\n", s.error().str().c_str());
            exit(1);
        }
        svc = std::move(*s);
    }
    return *svc;
}

void Context::fail(const Error& e) {
    fprintf(stderr, "berth-image: %s\n", e.str().c_str());
    exitCode = 1;
}

std::unique_ptr<image::Progress> Context::progress(bool quiet) {
    if (quiet) return std::make_unique<image::NullProgress>();
    auto out = [](std::string_view s) -> Status {
        fwrite(s.data(), 1, s.size(), stderr);
        fflush(stderr);
        return {};
    };
    return image::makeTextProgress(out, isatty(STDERR_FILENO) != 0);
}

namespace {

// The verb: the first word that is neither an option nor a global option's value.
std::string verbOf(int argc, char** argv) {
    static const char* valued[] = {"--root", "--runtime-root", "--insecure-registry",
                                   "--auth-file", "--max-concurrent-downloads"};
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a.starts_with("-")) {
            for (const char* v : valued) {
                if (a == v) i++;
            }
            continue;
        }
        return a;
    }
    return "";
}

}  // namespace

}  // namespace berth::imgcli

int main(int argc, char** argv) {
    using namespace berth;
    // build and run start containers through the runtime library in this process: like
    // berth-runtime, run from a sealed copy of the binary (CVE-2019-5736).
    if (auto verb = imgcli::verbOf(argc, argv); verb == "build" || verb == "run") {
        auto st = cloned::ensureCloned(argv, environ);
        if (!st) {
            fprintf(stderr, "berth-image: %s\n", st.error().str().c_str());
            return 125;
        }
    }
    imgcli::Context ctx;
    CLI::App app{"berth-image: Berth's image store (pull, push, build, load, save, run)",
                 "berth-image"};
    app.require_subcommand(1);
    ctx.opts.root = "/var/lib/berth";
    app.add_option("--root", ctx.opts.root, "data root (content, layers, images)")
        ->capture_default_str();
    app.add_option("--runtime-root", ctx.opts.runtimeRoot, "runtime state dir for RUN/run")
        ->capture_default_str();
    app.add_option("--insecure-registry", ctx.opts.insecureRegistries,
                   "registry spoken to over plain HTTP (localhost is always allowed)");
    app.add_option("--auth-file", ctx.opts.authFile, "credentials file (docker config.json)");
    app.add_option("--max-concurrent-downloads", ctx.opts.maxConcurrentDownloads,
                   "layers downloaded at once")
        ->capture_default_str();

    imgcli::addPull(app, ctx);
    imgcli::addPush(app, ctx);
    imgcli::addLogin(app, ctx);
    imgcli::addBuild(app, ctx);
    imgcli::addRun(app, ctx);
    imgcli::addLoad(app, ctx);
    imgcli::addSave(app, ctx);
    imgcli::addImport(app, ctx);
    imgcli::addImages(app, ctx);
    imgcli::addTagRmi(app, ctx);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 125;
    }
    return ctx.exitCode;
}
