// `berth build`: build an image from a Dockerfile with the daemon's classic builder. The
// context (a directory tarred here honouring .dockerignore, a tar or a Dockerfile on stdin, or
// a URL the daemon fetches) is POSTed to /build; its stream is rendered like docker's.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cli/config.h"
#include "cli/units.h"
#include "cli/verbs/image_context.h"
#include "cli/verbs/image_io.h"
#include "cli/verbs/image_progress.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

bool isRemote(const std::string& s) {
    for (std::string_view p : {"http://", "https://", "git://", "git@", "github.com/"})
        if (s.rfind(p, 0) == 0) return true;
    return false;
}

json buildArgs(const std::vector<std::string>& list) {
    json a = json::object();
    for (auto& kv : list) {
        auto eq = kv.find('=');
        if (eq != std::string::npos) {
            a[kv.substr(0, eq)] = kv.substr(eq + 1);
        } else if (const char* v = std::getenv(kv.c_str())) {
            a[kv] = v;
        } else {
            a[kv] = nullptr;
        }
    }
    return a;
}

std::string boolQ(bool b) {
    return b ? "1" : "";
}

Result<int> runBuild(Ctx& ctx, const Flags& f) {
    const std::string& src = f.args()[0];
    const std::string& dfFlag = f.s("file");
    bool quiet = f.b("quiet");
    Request req;
    req.method = "POST";
    req.contentType = "application/x-tar";
    std::string dockerfile = dfFlag;
    std::string remote;
    if (src == "-") {
        if (dfFlag == "-")
            return invalid(
                "invalid argument: can't use stdin for both build context and "
                "dockerfile");
        auto in = TRY(readAll(ctx.inFd));
        if (looksLikeArchive(in)) {
            req.body = std::move(in);
        } else {
            req.body = TRY(tarSingleFile("Dockerfile", in));
            dockerfile = "Dockerfile";
        }
    } else if (isRemote(src)) {
        remote = src;
    } else {
        std::string content;
        bool fromStdin = dfFlag == "-";
        if (fromStdin) content = TRY(readAll(ctx.inFd));
        auto bc =
            TRY(makeBuildContext(src, fromStdin ? "" : dfFlag, fromStdin ? &content : nullptr));
        req.body = std::move(bc.tar);
        dockerfile = bc.dockerfile;
    }
    if (!req.body.empty() && !quiet)
        ctx.out(fmt::format("Sending build context to Docker daemon {:>8}\r\r\n",
                            humanSize(static_cast<double>(req.body.size()))));

    std::string q = query({{"dockerfile", dockerfile},
                           {"q", boolQ(quiet)},
                           {"remote", remote},
                           {"nocache", boolQ(f.b("no-cache"))},
                           {"rm", f.b("rm") ? "1" : "0"},
                           {"forcerm", boolQ(f.b("force-rm"))},
                           {"pull", boolQ(f.b("pull"))},
                           {"networkmode", f.s("network")},
                           {"platform", f.s("platform")},
                           {"target", f.s("target")},
                           {"buildargs", buildArgs(f.l("build-arg")).dump()},
                           {"labels", keyValues(f.l("label")).dump()},
                           {"version", "1"}});
    for (auto& t : f.l("tag")) q += "&t=" + urlEncode(t);
    req.path = "/build" + q;
    req.headers.push_back({"X-Registry-Config", base64UrlEncode("{}")});

    std::string iidfile = f.s("iidfile");
    if (!iidfile.empty()) ::unlink(iidfile.c_str());
    std::string imageId;
    ProgressOptions po;
    po.terminal = ctx.outIsTerminal();
    po.display = !quiet;
    po.onAux = [&](const json& aux) {
        if (aux.is_object() && aux.contains("ID") && aux["ID"].is_string())
            imageId = aux["ID"].get<std::string>();
    };
    auto st = streamProgress(ctx, req, po);
    if (!st) {
        if (st.error().quiet && st.error().code > 0 && st.error().code < 256 &&
            st.error().msg.rfind("Error response from daemon", 0) != 0) {
            ctx.err(st.error().msg + "\n");
            return st.error().code;
        }
        return std::move(st).error();
    }
    if (quiet) ctx.out(imageId + "\n");
    if (!iidfile.empty() && !imageId.empty()) {
        int fd = ::open(iidfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) return errnoError("write image ID to {}", iidfile);
        auto w = writeAll(fd, imageId);
        ::close(fd);
        if (!w) return std::move(w).error().wrap("write image ID to " + iidfile);
    }
    return 0;
}

}  // namespace

Command cmdBuild() {
    Command c;
    c.name = "build";
    c.use = "[OPTIONS] PATH | URL | -";
    c.shortHelp = "Build an image from a Dockerfile";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.list("add-host", 0, "Add a custom host-to-IP mapping (\"host:ip\")");
        f.list("build-arg", 0, "Set build-time variables");
        f.list("cache-from", 0, "Images to consider as cache sources", "strings");
        f.string("cgroup-parent", 0, "",
                 "Set the parent cgroup for the \"RUN\" instructions during build");
        f.boolean("compress", 0, "Compress the build context using gzip");
        f.integer("cpu-period", 0, 0, "Limit the CPU CFS (Completely Fair Scheduler) period");
        f.integer("cpu-quota", 0, 0, "Limit the CPU CFS (Completely Fair Scheduler) quota");
        f.integer("cpu-shares", 'c', 0, "CPU shares (relative weight)");
        f.string("cpuset-cpus", 0, "", "CPUs in which to allow execution (0-3, 0,1)");
        f.string("cpuset-mems", 0, "", "MEMs in which to allow execution (0-3, 0,1)");
        f.boolean("disable-content-trust", 0, "Skip image verification", true);
        f.string("file", 'f', "", "Name of the Dockerfile (Default is \"PATH/Dockerfile\")");
        f.boolean("force-rm", 0, "Always remove intermediate containers");
        f.string("iidfile", 0, "", "Write the image ID to the file");
        f.string("isolation", 0, "", "Container isolation technology");
        f.list("label", 0, "Set metadata for an image");
        f.string("memory", 'm', "", "Memory limit", "bytes");
        f.string("memory-swap", 0, "",
                 "Swap limit equal to memory plus swap: -1 to enable unlimited swap", "bytes");
        f.string("network", 0, "default",
                 "Set the networking mode for the RUN instructions during build");
        f.boolean("no-cache", 0, "Do not use cache when building the image");
        f.string("platform", 0, "", "Set platform if server is multi-platform capable");
        f.boolean("pull", 0, "Always attempt to pull a newer version of the image");
        f.boolean("quiet", 'q', "Suppress the build output and print image ID on success");
        f.boolean("rm", 0, "Remove intermediate containers after a successful build", true);
        f.list("security-opt", 0, "Security options", "strings");
        f.string("shm-size", 0, "", "Size of \"/dev/shm\"", "bytes");
        f.boolean("squash", 0, "Squash newly built layers into a single new layer");
        f.list("tag", 't', "Name and optionally a tag in the \"name:tag\" format");
        f.string("target", 0, "", "Set the target build stage to build.");
        f.list("ulimit", 0, "Ulimit options", "ulimit");
    };
    c.run = runBuild;
    return c;
}

}  // namespace berth::cli
