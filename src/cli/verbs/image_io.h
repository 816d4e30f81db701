// File and stream helpers of the image verbs (load, import, build, save).
#pragma once

#include <string>

#include "common/result.h"

namespace berth::cli {

// Everything readable from fd until EOF.
Result<std::string> readAll(int fd);
// A whole file ("open x: ENOENT" style errors, as Go's os.Open words them by the caller).
Result<std::string> readWholeFile(const std::string& path);
// Writes all of s to fd.
Status writeAll(int fd, std::string_view s);

}  // namespace berth::cli
