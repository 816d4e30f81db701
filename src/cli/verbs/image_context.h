// The build context of `berth build`: a tar of a directory made with libarchive, leaving out
// what .dockerignore excludes (docker's patternmatcher rules: Go filepath.Match globs, `**`,
// `!` exceptions, a match on a parent directory excluding everything under it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::cli {

class IgnoreMatcher {
  public:
    // Lines of a .dockerignore: comments (#) and blanks skipped, paths cleaned, leading '/'
    // dropped. A bad pattern is an error, as in docker.
    static Result<IgnoreMatcher> parse(std::string_view dockerignore);
    static Result<IgnoreMatcher> fromPatterns(const std::vector<std::string>& patterns);

    // True when the slash-separated path relative to the context root is excluded.
    bool excluded(std::string_view relPath) const;
    bool empty() const { return patterns_.empty(); }

  private:
    struct Pattern {
        std::string text;
        bool exclusion = false;  // "!pattern": re-includes
        std::string regex;
    };
    bool matchOne(const Pattern& p, std::string_view path) const;
    std::vector<Pattern> patterns_;
};

// Go's filepath.Clean for slash paths ("./a//b/../c" -> "a/c").
std::string cleanPath(std::string_view p);

struct BuildContext {
    std::string tar;         // the archive
    std::string dockerfile;  // the Dockerfile's name inside it, for the `dockerfile` query
};

// Tars `dir`. `dockerfile` is the -f value ("" = "Dockerfile"); one outside the directory (or
// given as content in `dockerfileContent`, for `-f -`) is added under a generated name.
// The Dockerfile and .dockerignore are always sent, as docker does.
Result<BuildContext> makeBuildContext(const std::string& dir, const std::string& dockerfile,
                                      const std::string* dockerfileContent = nullptr);

// A tar holding one file, "Dockerfile" (for `berth build - < Dockerfile`).
// mode/uid/gid: the file's (compose's secrets and configs set them).
Result<std::string> tarSingleFile(const std::string& name, std::string_view content,
                                  unsigned mode = 0600, int64_t uid = 0, int64_t gid = 0);

// True when data starts like a tar (ustar magic) or a compressed stream docker accepts.
bool looksLikeArchive(std::string_view data);

}  // namespace berth::cli
