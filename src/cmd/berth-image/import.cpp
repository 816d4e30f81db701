// berth-image import [-c INSTR]... [-m MSG] FILE|- [REF]: a rootfs tarball (gzip, zstd, xz,
// bzip2 or plain) becomes a one-layer image; prints its ID like docker.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "common/sys.h"
#include "common/unique_fd.h"

namespace berth::imgcli {

void addImport(CLI::App& app, Context& ctx) {
    auto* c = app.add_subcommand("import",
                                 "Import the contents from a tarball to create a filesystem image");
    struct Opts {
        std::vector<std::string> changes;
        std::string message;
        std::string file;
        std::string ref;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("-c,--change", o->changes, "Apply Dockerfile instruction to the created image")
        ->allow_extra_args(false);
    c->add_option("-m,--message", o->message, "Set commit message for imported image");
    c->add_option("file", o->file, "rootfs tarball, or - for STDIN")->required();
    c->add_option("REPOSITORY[:TAG]", o->ref, "name for the image");
    c->callback([&ctx, o] {
        UniqueFd fd;
        if (o->file == "-") {
            fd.reset(::dup(STDIN_FILENO));
            if (!fd) return ctx.fail(errnoError("dup stdin"));
        } else {
            auto f = sys::open(o->file, O_RDONLY | O_CLOEXEC);
            if (!f) return ctx.fail(f.error().wrap("import"));
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
        auto img = ctx.service().importRootfs(src, o->ref, o->changes, o->message);
        if (!img) return ctx.fail(img.error());
        printf("%s\n", img->id.str().c_str());
    });
}

}  // namespace berth::imgcli
