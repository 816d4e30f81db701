// berth-image build [-t tag]... [-f file] [--build-arg K=V]... [--target stage] [--no-cache]
//                   [-q] [--label K=V]... [--network none|host] [--pull] CONTEXT
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "common/sys.h"
#include "image/build/builder.h"

namespace berth::imgcli {

namespace {

struct BuildFlags {
    std::string context;
    std::string file;
    std::vector<std::string> tags, buildArgs, labels;
    std::string target, network = "none";
    bool noCache = false, quiet = false, pull = false;
};

std::string absolute(const std::string& p) {
    if (p.starts_with('/')) return p;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return p;
    return std::string(cwd) + "/" + p;
}

Status splitKv(const std::vector<std::string>& in, std::map<std::string, std::string>& out,
               const char* flag, bool fromEnv) {
    for (const auto& kv : in) {
        auto eq = kv.find('=');
        if (eq == 0) return invalid("{}: invalid value \"{}\"", flag, kv);
        if (eq != std::string::npos) {
            out[kv.substr(0, eq)] = kv.substr(eq + 1);
        } else if (fromEnv) {
            // As docker: "--build-arg NAME" takes the value from our environment, if set.
            if (const char* v = std::getenv(kv.c_str())) out[kv] = v;
        } else {
            out[kv] = "";
        }
    }
    return {};
}

}  // namespace

void addBuild(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<BuildFlags>();
    auto* c = app.add_subcommand("build", "build an image from a Dockerfile");
    c->add_option("CONTEXT", f->context, "build context directory")->required();
    c->add_option("-t,--tag", f->tags, "name:tag for the image")->allow_extra_args(false);
    c->add_option("-f,--file", f->file, "Dockerfile (default CONTEXT/Dockerfile; - for stdin)");
    c->add_option("--build-arg", f->buildArgs, "build-time variable K=V")->allow_extra_args(false);
    c->add_option("--label", f->labels, "label K=V for the image")->allow_extra_args(false);
    c->add_option("--target", f->target, "build stage to stop at");
    c->add_option("--network", f->network, "network for RUN: none or host")
        ->check(CLI::IsMember({"none", "host", "default"}));
    c->add_flag("--no-cache", f->noCache, "do not use the build cache");
    c->add_flag("--pull", f->pull, "always pull FROM images");
    c->add_flag("-q,--quiet", f->quiet, "print only the image ID");
    c->callback([&ctx, f] {
        image::build::BuildOptions o;
        o.contextDir = absolute(f->context);
        if (f->file == "-") {
            auto text = sys::readFd(STDIN_FILENO);
            if (!text) return ctx.fail(text.error().wrap("read Dockerfile from stdin"));
            o.dockerfileText = std::move(*text);
        } else if (!f->file.empty()) {
            o.dockerfile = absolute(f->file);
        }
        o.tags = f->tags;
        o.target = f->target;
        o.noCache = f->noCache;
        o.quiet = f->quiet;
        o.pull = f->pull;
        o.network = f->network == "host" ? "host" : "none";
        if (auto s = splitKv(f->buildArgs, o.buildArgs, "--build-arg", true); !s) {
            return ctx.fail(s.error());
        }
        if (auto s = splitKv(f->labels, o.labels, "--label", false); !s) return ctx.fail(s.error());
        auto out = [](std::string_view s) -> Status {
            fwrite(s.data(), 1, s.size(), stdout);
            fflush(stdout);
            return {};
        };
        auto progress = image::makeTextProgress(out, isatty(STDOUT_FILENO) != 0);
        auto id = image::build::build(ctx.service(), o, *progress);
        if (!id) return ctx.fail(id.error());
        if (f->quiet) printf("%s\n", id->str().c_str());
    });
}

}  // namespace berth::imgcli
