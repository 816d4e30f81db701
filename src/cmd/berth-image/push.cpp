// berth-image push [-q] REF
#include <cstdio>

#include "commands.h"

namespace berth::imgcli {

void addPush(CLI::App& app, Context& ctx) {
    auto* c = app.add_subcommand("push", "push an image to a registry");
    struct Opts {
        std::string ref;
        bool quiet = false;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("ref", o->ref, "image reference (name[:tag])")->required();
    c->add_flag("-q,--quiet", o->quiet, "no progress output");
    c->callback([&ctx, o] {
        // Push results ("1: digest: sha256:.. size: 527") go to stdout as docker prints them.
        auto out = [](std::string_view s) -> Status {
            fwrite(s.data(), 1, s.size(), stdout);
            fflush(stdout);
            return {};
        };
        auto progress = o->quiet ? std::unique_ptr<image::Progress>(new image::NullProgress)
                                 : image::makeTextProgress(out, isatty(STDOUT_FILENO) != 0);
        ctx.check(ctx.service().push(o->ref, *progress));
    });
}

}  // namespace berth::imgcli
