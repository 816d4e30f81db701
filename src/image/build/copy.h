// COPY/ADD: sources (globs, directories as their contents, .dockerignore) planned and hashed
// first, without touching the destination, so a cache hit costs only reading the sources; then
// applied into a mounted container root with docker's destination rules:
//  - a relative destination is relative to WORKDIR;
//  - several sources (or a glob) need a destination ending in '/';
//  - a file goes to <dest>/<name> when dest ends in '/' or is an existing directory, else to dest;
//  - a directory's contents are copied into dest (created);
//  - ADD of a local tar archive (plain, gzip, bzip2, xz, zstd) extracts it into dest.
// Everything gets uid/gid 0 (or --chown), modes and mtimes are kept (or --chmod); paths in the
// destination are resolved inside the container root.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "image/build/dockerignore.h"

namespace berth::image::build {

// Where files come from: the context directory or a stage's/image's root.
struct CopySource {
    int rootFd = -1;
    const IgnoreMatcher* ignore = nullptr;  // the context's .dockerignore; null for --from
};

struct CopyOptions {
    std::vector<std::string> sources;  // expanded, as written
    std::string dest;                  // expanded, as written
    std::string workdir;               // the stage's WORKDIR
    bool add = false;                  // ADD: extract local archives
};

struct CopyEntry {
    std::string srcRel;   // real path in the source root
    std::string destRel;  // below the item's destination ("" for a single file)
    struct stat st {};
    std::string linkTarget;
};

struct CopyItem {
    int rootFd = -1;   // the source root it is read from (not owned)
    std::string name;  // basename of the source as written
    bool isDir = false;
    bool extract = false;
    std::string dest;                // absolute destination in the container
    bool destIsDir = false;          // dest was written with a trailing '/' (or is ".")
    std::vector<CopyEntry> entries;  // a directory's tree (parents first), or the one file
};

struct CopyPlan {
    std::vector<CopyItem> items;
    std::string sourceHash;  // "file:<hex>", "dir:<hex>" or "multi:<hex>" (content + metadata)
};

Result<CopyPlan> planCopy(const CopySource& src, const CopyOptions& o);

// ADD <url>: downloads into dir (an existing directory) as the URL's last path component,
// mode 0600, mtime from Last-Modified; returns that file name.
Result<std::string> fetchUrl(const std::string& url, const std::string& dir);

struct ApplyOptions {
    uint32_t uid = 0, gid = 0;
    std::optional<uint32_t> chmod;
};
// destRootFd: an open directory of the mounted container root.
Status applyCopy(const CopyPlan& plan, int destRootFd, const ApplyOptions& o);

// Several plans (sources from the context and from URLs) as one: items in order, one hash.
Result<CopyPlan> mergePlans(std::vector<CopyPlan> plans, bool destIsDir, bool add);

// Creates the directories of absPath inside the root (new ones 0755, owned by uid:gid) and
// returns an fd of the last; existing symlinks are followed within the root.
Result<UniqueFd> mkdirAllIn(int rootFd, const std::string& absPath, uint32_t uid, uint32_t gid,
                            bool* createdLast = nullptr);

// Docker's wildcard test: an unescaped *, ? or [.
bool hasWildcards(std::string_view s);

}  // namespace berth::image::build
