// berth-image save [-o FILE] IMAGE...: a docker archive (docker 25's layout: OCI layout plus
// manifest.json) on stdout or in FILE; --format oci-dir -o DIR writes an OCI layout directory.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "common/scope_guard.h"
#include "common/sys.h"
#include "common/unique_fd.h"

namespace berth::imgcli {

namespace {

image::archive::SinkFn fdSink(int fd) {
    return [fd](const void* p, size_t n) -> Status {
        return sys::writeFd(fd, std::string_view(static_cast<const char*>(p), n));
    };
}

// Writes to a temp file beside `path` and renames it into place only when the save succeeded,
// so a failed save never leaves a truncated archive under the requested name.
Status saveToFile(image::Service& svc, const std::vector<std::string>& images,
                  const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (dir.empty()) dir = "/";
    std::string tmp = dir + "/.berth-save-XXXXXX";
    int raw = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (raw < 0) return errnoError("failed to save image: create a temp file in {}", dir);
    UniqueFd fd(raw);
    ScopeGuard rm([&tmp] { ::unlink(tmp.c_str()); });
    TRY(svc.save(images, fdSink(fd.get())));
    if (::fchmod(fd.get(), 0644) < 0 || ::fsync(fd.get()) < 0)
        return errnoError("failed to save image: {}", tmp);
    if (::rename(tmp.c_str(), path.c_str()) < 0)
        return errnoError("failed to save image: rename to {}", path);
    rm.cancel();
    return {};
}

}  // namespace

void addSave(CLI::App& app, Context& ctx) {
    auto* c = app.add_subcommand(
        "save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
    struct Opts {
        std::string output;
        std::string format = "docker-archive";
        std::vector<std::string> images;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("-o,--output", o->output, "Write to a file (a directory for oci-dir)");
    c->add_option("--format", o->format, "docker-archive (default) or oci-dir")
        ->check(CLI::IsMember({"docker-archive", "oci-dir"}));
    c->add_option("IMAGE", o->images, "images (name[:tag], name@digest or ID)")->required();
    c->callback([&ctx, o] {
        auto& svc = ctx.service();
        if (o->format == "oci-dir") {
            if (o->output.empty()) return ctx.fail(invalid("--format oci-dir needs -o DIR"));
            return ctx.check(svc.saveOciLayout(o->images, o->output));
        }
        if (!o->output.empty()) return ctx.check(saveToFile(svc, o->images, o->output));
        if (isatty(STDOUT_FILENO))
            return ctx.fail(
                invalid("cowardly refusing to save to a terminal. Use the -o flag "
                        "or redirect"));
        ctx.check(svc.save(o->images, fdSink(STDOUT_FILENO)));
    });
}

}  // namespace berth::imgcli
