// The tar side of `berth cp` (libarchive): packing a host path under a chosen top-level name
// for PUT /containers/{id}/archive, and unpacking the daemon's archive into a host directory
// with docker's safety rules (no absolute or ".." paths, no writes through symlinks, a
// directory is never replaced by a non-directory or the other way round).
#pragma once

#include <cstdio>
#include <string>

#include "common/result.h"

namespace berth::cli {

// A tar of `path` (recursively; a symlink is stored as a link unless followLink) whose
// top-level entry is named `topName` ("." = the directory's contents at the top).
Result<std::string> infoTarPath(const std::string& path, const std::string& topName,
                                bool followLink);

// Extracts the tar read from `in` into `dir`. Entries named `srcBase` or under `srcBase/` are
// renamed to `dstBase` (docker's RebaseArchiveEntries) when srcBase is not empty. Returns the
// number of bytes of file content written.
Result<int64_t> infoUntar(FILE* in, const std::string& dir, const std::string& srcBase,
                          const std::string& dstBase);

}  // namespace berth::cli
