// `berth save`: write images to a tar archive (stdout by default).
#include <fcntl.h>
#include <unistd.h>

#include "cli/verbs/image_io.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

Result<int> runSave(Ctx& ctx, const Flags& f) {
    const std::string& outPath = f.s("output");
    if (outPath.empty() && ctx.outIsTerminal())
        return invalid("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    std::string path = "/images/get";
    std::string q;
    for (auto& n : f.args()) q += (q.empty() ? "?" : "&") + std::string("names=") + urlEncode(n);
    if (!f.s("platform").empty()) q += "&platform=" + urlEncode(f.s("platform"));
    Request r;
    r.path = path + q;
    auto* c = TRY(ctx.client());
    // Write to a temporary file beside the target, renamed at the end, so a failed save leaves
    // no truncated archive behind.
    int fd = ctx.outFd;
    std::string tmp;
    if (!outPath.empty()) {
        tmp = outPath + ".berth-tmp";
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            auto e = errnoError("open {}", tmp);
            return Error{e.code, "failed to save image: " + e.str(), true};
        }
    }
    Status werr;
    auto resp = c->stream(r, [&](std::string_view data) {
        werr = writeAll(fd, data);
        return werr.ok();
    });
    auto cleanup = [&] {
        if (!tmp.empty()) {
            ::close(fd);
            ::unlink(tmp.c_str());
        }
    };
    if (!resp) {
        cleanup();
        return std::move(resp).error();
    }
    if (!resp->ok()) {
        cleanup();
        return apiError(*resp);
    }
    if (!werr) {
        cleanup();
        return Error{werr.error().code, "failed to save image: " + werr.error().str(), true};
    }
    if (!tmp.empty()) {
        ::close(fd);
        if (::rename(tmp.c_str(), outPath.c_str()) != 0) {
            auto e = errnoError("rename {}", outPath);
            ::unlink(tmp.c_str());
            return Error{e.code, "failed to save image: " + e.str(), true};
        }
    }
    return 0;
}

}  // namespace

Command cmdSave() {
    Command c;
    c.name = "save";
    c.use = "[OPTIONS] IMAGE [IMAGE...]";
    c.shortHelp = "Save one or more images to a tar archive (streamed to STDOUT by default)";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.flags = [](Flags& f) {
        f.string("output", 'o', "", "Write to a file, instead of STDOUT");
        f.string("platform", 0, "",
                 "Save only the given platform variant. Formatted as \"os[/arch[/variant]]\" "
                 "(e.g., \"linux/amd64\")");
    };
    c.run = runSave;
    return c;
}

}  // namespace berth::cli
