// `berth export`: export a container's filesystem as a tar archive.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>

#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

// docker's ValidateOutputPath: the parent must be an existing directory, the path itself no
// directory.
Status validateOutputPath(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path p(path);
    fs::path dir = p.parent_path();
    struct stat st {};
    if (!dir.empty() && ::stat(dir.c_str(), &st) != 0) {
        // Go's wording: "stat /x: no such file or directory".
        std::string why = std::strerror(errno);
        if (!why.empty()) why[0] = static_cast<char>(std::tolower(why[0]));
        return invalid("invalid output path: stat {}: {}", dir.string(), why);
    }
    if (fs::is_directory(p, ec))
        return invalid("invalid output path: \"{}\" must be a directory or a regular file", path);
    return {};
}

bool writeAll(int fd, std::string_view d) {
    while (!d.empty()) {
        ssize_t n = ::write(fd, d.data(), d.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        d.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

Result<int> runExport(Ctx& ctx, const Flags& f) {
    const std::string& out = f.s("output");
    if (out.empty() && ctx.outIsTerminal())
        return Error{0, "cowardly refusing to save to a terminal. Use the -o flag or redirect",
                     true};
    if (!out.empty())
        if (auto st = validateOutputPath(out); !st)
            return Error{0, "failed to export container: " + st.error().msg, true};
    // To a file: a temporary beside it, renamed once complete (docker's CopyToFile).
    std::string tmp;
    int fd = ctx.outFd;
    if (!out.empty()) {
        tmp = out + ".berth-export-XXXXXX";
        fd = ::mkstemp(tmp.data());
        if (fd < 0) return errnoError("creating {}", tmp);
    }
    auto* client = TRY(ctx.client());
    Request r;
    r.path = "/containers/" + urlEncode(f.args()[0]) + "/export";
    bool writeFailed = false;
    auto resp = client->stream(r, [&](std::string_view d) {
        if (!writeAll(fd, d)) writeFailed = true;
        return !writeFailed;
    });
    if (!out.empty()) {
        ::fchmod(fd, 0644);
        ::close(fd);
    }
    auto fail = [&](Error e) -> Result<int> {
        if (!tmp.empty()) ::unlink(tmp.c_str());
        return e;
    };
    if (!resp) return fail(std::move(resp).error());
    if (!resp->ok()) return fail(apiError(*resp));
    if (writeFailed) return fail(errnoError("writing {}", out.empty() ? "stdout" : out));
    if (!tmp.empty() && ::rename(tmp.c_str(), out.c_str()) != 0)
        return fail(errnoError("renaming {} to {}", tmp, out));
    return 0;
}

}  // namespace

Command cmdExport() {
    Command c;
    c.name = "export";
    c.use = "[OPTIONS] CONTAINER";
    c.shortHelp = "Export a container's filesystem as a tar archive";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) { f.string("output", 'o', "", "Write to a file, instead of STDOUT"); };
    c.run = runExport;
    return c;
}

}  // namespace berth::cli
