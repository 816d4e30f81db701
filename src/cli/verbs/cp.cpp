// `berth cp`: copy files/folders between a container and the local filesystem, with docker's
// rules for where a file or directory lands (cli/command/container/cp.go, pkg/archive/copy.go).
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/config.h"
#include "cli/units.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/info_cp_archive.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

constexpr uint32_t kGoModeDir = 1u << 31;
constexpr uint32_t kGoModeSymlink = 1u << 27;

// Go's filepath.Clean for slash paths.
std::string cleanPath(const std::string& p) {
    if (p.empty()) return ".";
    bool abs = p[0] == '/';
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= p.size()) {
        size_t s = p.find('/', i);
        if (s == std::string::npos) s = p.size();
        std::string c = p.substr(i, s - i);
        if (c == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!abs)
                parts.push_back(c);
        } else if (!c.empty() && c != ".") {
            parts.push_back(c);
        }
        i = s + 1;
    }
    std::string out = abs ? "/" : "";
    for (size_t k = 0; k < parts.size(); ++k) out += (k ? "/" : "") + parts[k];
    return out.empty() ? "." : out;
}

bool specifiesCurrentDir(const std::string& p) {
    return p == "." || p.ends_with("/.");
}
bool assertsDirectory(const std::string& p) {
    return p.ends_with("/") || specifiesCurrentDir(p);
}

// docker's SplitPathDirEntry: ("/etc/.") -> ("/etc", "."), ("/a/b/") -> ("/a", "b").
std::pair<std::string, std::string> splitDirEntry(const std::string& p) {
    std::string c = cleanPath(p);
    if (specifiesCurrentDir(p)) c += "/.";
    auto slash = c.rfind('/');
    if (slash == std::string::npos) return {".", c};
    std::string dir = slash == 0 ? "/" : c.substr(0, slash);
    return {dir, c.substr(slash + 1)};
}

std::string joinPath(const std::string& a, const std::string& b) {
    return cleanPath(a + "/" + b);
}

struct CopyInfo {
    std::string path;
    bool exists = false, isDir = false;
    std::string rebaseName;
};

// Where the copy goes: which directory to extract into, and the top-level name to use.
struct Plan {
    std::string dir;
    std::string topName;  // "" = keep the archive's names
};

// docker's PrepareArchiveCopy.
Result<Plan> prepare(const CopyInfo& src, const CopyInfo& dst) {
    auto [srcDir, srcBase] = splitDirEntry(src.path);
    if (!src.rebaseName.empty()) srcBase = src.rebaseName;
    auto [dstDir, dstBase] = splitDirEntry(dst.path);
    if (dst.exists && dst.isDir) return Plan{dst.path, ""};
    if (dst.exists && src.isDir) return invalid("cannot copy directory");
    if (dst.exists || src.isDir) return Plan{dstDir, dstBase};
    if (assertsDirectory(dst.path)) return invalid("no such directory");
    return Plan{dstDir, dstBase};
}

std::string absLocal(const std::string& p) {
    if (p.starts_with("/")) return p;
    std::error_code ec;
    std::string cwd = std::filesystem::current_path(ec).string();
    std::string abs = cleanPath(cwd + "/" + p);
    // Keep the trailing "/" or "/." that carries meaning (PreserveTrailingDotOrSeparator).
    if (specifiesCurrentDir(p) && !specifiesCurrentDir(abs))
        abs += "/.";
    else if (p.ends_with("/") && !abs.ends_with("/"))
        abs += "/";
    return abs;
}

// CopyInfoDestinationPath: follows symlinks at the destination; a missing destination needs
// an existing parent directory.
Result<CopyInfo> localDestination(std::string path) {
    for (int n = 0; n < 64; ++n) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno != ENOENT) return errnoError("lstat {}", path);
            auto parent = splitDirEntry(path).first;
            struct stat pst {};
            if (::stat(parent.c_str(), &pst) != 0) return errnoError("stat {}", parent);
            if (!S_ISDIR(pst.st_mode)) return invalid("not a directory");
            return CopyInfo{path, false, false, ""};
        }
        if (!S_ISLNK(st.st_mode)) return CopyInfo{path, true, S_ISDIR(st.st_mode), ""};
        std::string target(4096, '\0');
        ssize_t len = ::readlink(path.c_str(), target.data(), target.size());
        if (len < 0) return errnoError("readlink {}", path);
        target.resize(static_cast<size_t>(len));
        path = target.starts_with("/") ? target : joinPath(splitDirEntry(path).first, target);
    }
    return invalid("too many symlinks in {}", path);
}

// The daemon's stat of a container path (X-Docker-Container-Path-Stat), nullopt if absent.
Result<std::optional<json>> containerStat(Ctx& ctx, const std::string& c, const std::string& p) {
    auto* client = TRY(ctx.client());
    Request r;
    r.method = "HEAD";
    r.path = "/containers/" + urlEncode(c) + "/archive" + query({{"path", p}});
    auto resp = TRY(client->call(r));
    if (resp.status == 404) {
        // HEAD carries no body: ask again the way that says which object is missing.
        if (resp.header("x-docker-container-path-stat").empty()) {
            Request g;
            g.path = "/containers/" + urlEncode(c) + "/json";
            auto cr = TRY(client->call(g));
            if (!cr.ok()) return apiError(cr);
        }
        return std::optional<json>();
    }
    if (!resp.ok()) return apiError(resp);
    auto raw = TRY(base64Decode(resp.header("x-docker-container-path-stat")));
    auto j = json::parse(raw, nullptr, false);
    if (j.is_discarded()) return makeError(EPROTO, "invalid path stat from the daemon");
    return std::optional<json>(j);
}

uint32_t modeOf(const json& st) {
    return st.value("mode", uint32_t{0});
}

Result<int> fromContainer(Ctx& ctx, const Flags& f, const std::string& ctr, std::string src,
                          const std::string& dstArg) {
    std::string dst = dstArg == "-" ? dstArg : absLocal(dstArg);
    if (dst != "-") {
        // docker's ValidateOutputPath.
        std::string dir = splitDirEntry(cleanPath(dst)).first;
        struct stat st {};
        if (dir != "." && ::stat(dir.c_str(), &st) != 0 && errno == ENOENT)
            return invalid("invalid output path: directory \"{}\" does not exist", dir);
        if (::stat(dst.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            return invalid("invalid output path: \"{}\" must be a directory or a regular file",
                           dst);
    }
    std::string rebaseName;
    if (f.b("follow-link")) {
        auto st = TRY(containerStat(ctx, ctr, src));
        if (st && (modeOf(*st) & kGoModeSymlink)) {
            std::string target = st->value("linkTarget", "");
            if (!target.starts_with("/")) target = joinPath(splitDirEntry(src).first, target);
            rebaseName = splitDirEntry(src).second;
            src = target;
        }
    }
    auto* client = TRY(ctx.client());
    Request r;
    r.path = "/containers/" + urlEncode(ctr) + "/archive" + query({{"path", src}});
    std::unique_ptr<FILE, int (*)(FILE*)> tmp(nullptr, fclose);
    if (dst != "-") {
        tmp.reset(::tmpfile());
        if (!tmp) return errnoError("creating a temporary file");
    }
    bool writeFailed = false;
    auto resp = TRY(client->stream(r, [&](std::string_view d) {
        if (dst == "-") {
            ctx.out(d);
            return true;
        }
        if (std::fwrite(d.data(), 1, d.size(), tmp.get()) != d.size()) writeFailed = true;
        return !writeFailed;
    }));
    if (!resp.ok()) return apiError(resp);
    if (writeFailed) return errnoError("writing a temporary file");
    if (dst == "-") return 0;
    std::fflush(tmp.get());
    std::rewind(tmp.get());

    json st = json::object();
    if (auto h = resp.header("x-docker-container-path-stat"); !h.empty()) {
        auto raw = TRY(base64Decode(h));
        st = json::parse(raw, nullptr, false);
        if (st.is_discarded()) st = json::object();
    }
    CopyInfo srcInfo{src, true, (modeOf(st) & kGoModeDir) != 0, rebaseName};
    CopyInfo dstInfo = TRY(localDestination(dst));
    Plan plan = TRY(prepare(srcInfo, dstInfo));
    // The archive's top entry is named after the source (the link's target with -L).
    std::string archiveBase = splitDirEntry(src).second;
    std::string newBase = plan.topName.empty() ? rebaseName : plan.topName;
    int64_t n = TRY(infoUntar(tmp.get(), plan.dir, newBase.empty() ? "" : archiveBase, newBase));
    if (!f.b("quiet") && ::isatty(ctx.errFd))
        ctx.err("Successfully copied " + humanSize(static_cast<double>(n)) + " to " + dstArg +
                "\n");
    return 0;
}

Result<int> toContainer(Ctx& ctx, const Flags& f, const std::string& srcArg, const std::string& ctr,
                        const std::string& dstPath) {
    CopyInfo dstInfo{dstPath, false, false, ""};
    auto st = TRY(containerStat(ctx, ctr, dstPath));
    if (st && (modeOf(*st) & kGoModeSymlink)) {
        std::string target = st->value("linkTarget", "");
        if (!target.starts_with("/")) target = joinPath(splitDirEntry(dstPath).first, target);
        dstInfo.path = target;
        st = TRY(containerStat(ctx, ctr, target));
    }
    if (st) {
        uint32_t m = modeOf(*st);
        // Anything but a directory or regular file (devices, pipes, sockets...).
        constexpr uint32_t kIrregular = 0x8F280000u & ~kGoModeDir;
        if (m & kIrregular)
            return invalid("destination \"{}:{}\" must be a directory or a regular file", ctr,
                           dstPath);
        dstInfo.exists = true;
        dstInfo.isDir = (m & kGoModeDir) != 0;
    }
    std::string body, extractDir;
    if (srcArg == "-") {
        if (!dstInfo.isDir)
            return invalid("destination \"{}:{}\" must be a directory", ctr, dstPath);
        extractDir = dstInfo.path;
        char buf[65536];
        ssize_t n;
        while ((n = ::read(ctx.inFd, buf, sizeof buf)) > 0)
            body.append(buf, static_cast<size_t>(n));
        if (n < 0) return errnoError("reading stdin");
    } else {
        std::string src = absLocal(srcArg);
        std::string resolved = src, rebaseName;
        struct stat sst {};
        std::string statPath = cleanPath(src);
        if (::lstat(statPath.c_str(), &sst) != 0) {
            // Go's wording: "lstat /x: no such file or directory".
            std::string why = std::strerror(errno);
            if (!why.empty()) why[0] = static_cast<char>(std::tolower(why[0]));
            return Error{errno, "lstat " + statPath + ": " + why, true};
        }
        bool follow = f.b("follow-link");
        if (follow && S_ISLNK(sst.st_mode)) {
            if (::stat(statPath.c_str(), &sst) != 0) return errnoError("stat {}", statPath);
            rebaseName = splitDirEntry(src).second;
        }
        CopyInfo srcInfo{src, true, S_ISDIR(sst.st_mode), rebaseName};
        Plan plan = TRY(prepare(srcInfo, dstInfo));
        extractDir = plan.dir;
        std::string top = plan.topName;
        if (top.empty()) top = rebaseName.empty() ? splitDirEntry(src).second : rebaseName;
        std::string tarFrom = specifiesCurrentDir(src) ? cleanPath(src) : statPath;
        body = TRY(infoTarPath(tarFrom, top, follow));
    }
    Request r;
    r.method = "PUT";
    r.path = "/containers/" + urlEncode(ctr) + "/archive" +
             query({{"path", extractDir},
                    {"noOverwriteDirNonDir", "true"},
                    {"copyUIDGID", f.b("archive") ? "true" : ""}});
    r.contentType = "application/x-tar";
    size_t size = body.size();
    r.body = std::move(body);
    TRY(apiCall(ctx, std::move(r)));
    if (!f.b("quiet") && ::isatty(ctx.errFd))
        ctx.err("Successfully copied " + humanSize(static_cast<double>(size)) + " to " + ctr + ":" +
                dstPath + "\n");
    return 0;
}

// docker's splitCpArg: "ctr:path", or a local path (absolute, "./x:y", or without ':').
std::pair<std::string, std::string> splitArg(const std::string& arg) {
    if (arg.starts_with("/")) return {"", arg};
    auto colon = arg.find(':');
    if (colon == std::string::npos || arg.starts_with(".")) return {"", arg};
    return {arg.substr(0, colon), arg.substr(colon + 1)};
}

Result<int> runCp(Ctx& ctx, const Flags& f) {
    auto [srcCtr, srcPath] = splitArg(f.args()[0]);
    auto [dstCtr, dstPath] = splitArg(f.args()[1]);
    if (srcCtr.empty() && dstCtr.empty())
        return invalid("must specify at least one container source");
    if (!srcCtr.empty() && !dstCtr.empty())
        return invalid("copying between containers is not supported");
    if (!srcCtr.empty()) return fromContainer(ctx, f, srcCtr, srcPath, dstPath);
    return toContainer(ctx, f, srcPath, dstCtr, dstPath);
}

}  // namespace

Command cmdCp() {
    Command c;
    c.name = "cp";
    c.use =
        "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- "
        "CONTAINER:DEST_PATH";
    c.shortHelp = "Copy files/folders between a container and the local filesystem";
    c.longHelp =
        "Copy files/folders between a container and the local filesystem\n\n"
        "Use '-' as the source to read a tar archive from stdin\n"
        "and extract it to a directory destination in a container.\n"
        "Use '-' as the destination to stream a tar archive of a\n"
        "container source to stdout.";
    c.minArgs = 2;
    c.maxArgs = 2;
    c.flags = [](Flags& f) {
        f.boolean("archive", 'a', "Archive mode (copy all uid/gid information)");
        f.boolean("follow-link", 'L', "Always follow symbol link in SRC_PATH");
        f.boolean("quiet", 'q',
                  "Suppress progress output during copy. Progress output is automatically "
                  "suppressed if no terminal is attached");
    };
    c.run = runCp;
    return c;
}

}  // namespace berth::cli
