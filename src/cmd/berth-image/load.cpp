// berth-image load [-i FILE|DIR] [-q] [-t REF]: images from a docker save / OCI archive (stdin
// when no -i), or from an OCI layout directory.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "common/sys.h"
#include "common/unique_fd.h"

namespace berth::imgcli {

void addLoad(CLI::App& app, Context& ctx) {
    auto* c = app.add_subcommand("load", "Load images from a tar archive or STDIN");
    struct Opts {
        std::string input;
        bool quiet = false;
        std::string tag;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("-i,--input", o->input,
                  "Read from tar archive file (or an OCI layout directory), instead of STDIN");
    c->add_flag("-q,--quiet", o->quiet, "Suppress the load output");
    c->add_option("-t,--tag", o->tag,
                  "OCI layout directory only: the image to load and the name to give it");
    c->callback([&ctx, o] {
        auto& svc = ctx.service();
        if (!o->input.empty() && sys::isDir(o->input)) {
            auto img = svc.loadOciLayout(o->input, o->tag);
            if (!img) return ctx.fail(img.error());
            auto ref = image::Reference::parse(o->tag);
            if (!o->tag.empty() && ref)
                printf("Loaded image: %s\n", ref->familiar().c_str());
            else
                printf("Loaded image ID: %s\n", img->id.str().c_str());
            return;
        }
        if (!o->tag.empty())
            return ctx.fail(invalid("load: --tag is only for an OCI layout directory"));
        UniqueFd fd;
        if (o->input.empty()) {
            if (isatty(STDIN_FILENO))
                return ctx.fail(invalid("requested load from stdin, but stdin is empty"));
            fd.reset(::dup(STDIN_FILENO));
            if (!fd) return ctx.fail(errnoError("dup stdin"));
        } else {
            auto f = sys::open(o->input, O_RDONLY | O_CLOEXEC);
            if (!f) return ctx.fail(f.error().wrap("load"));
            fd = std::move(*f);
        }
        int raw = fd.get();
        image::archive::ReadFn src = [raw](void* buf, size_t n) -> Result<size_t> {
            while (true) {
                ssize_t got = ::read(raw, buf, n);
                if (got >= 0) return static_cast<size_t>(got);
                if (errno != EINTR) return errnoError("read input");
            }
        };
        auto progress = ctx.progress(o->quiet);
        auto lines = svc.load(src, *progress);
        if (!lines) return ctx.fail(lines.error());
        for (const auto& l : *lines) printf("%s\n", l.c_str());
    });
}

}  // namespace berth::imgcli
