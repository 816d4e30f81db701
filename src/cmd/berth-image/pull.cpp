// berth-image pull [-q] [--platform os/arch] REF
#include <cstdio>

#include "commands.h"

namespace berth::imgcli {

void addPull(CLI::App& app, Context& ctx) {
    auto* c = app.add_subcommand("pull", "pull an image from a registry");
    struct Opts {
        std::string ref;
        bool quiet = false;
        std::string platform;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("ref", o->ref, "image reference (name[:tag] or name@digest)")->required();
    c->add_flag("-q,--quiet", o->quiet, "no progress output");
    c->add_option("--platform", o->platform, "os/arch to pick from a multi-platform image");
    c->callback([&ctx, o] {
        image::PullOptions po;
        if (!o->platform.empty()) {
            auto slash = o->platform.find('/');
            if (slash == std::string::npos)
                return ctx.fail(invalid("--platform: expected os/arch, got \"{}\"", o->platform));
            po.os = o->platform.substr(0, slash);
            po.arch = o->platform.substr(slash + 1);
        }
        auto progress = ctx.progress(o->quiet);
        auto img = ctx.service().pull(o->ref, *progress, po);
        if (!img) return ctx.fail(img.error());
        // Like docker: the full reference of what was pulled, on stdout.
        auto ref = image::Reference::parse(o->ref);
        printf("%s\n", ref ? ref->str().c_str() : o->ref.c_str());
    });
}

}  // namespace berth::imgcli
