// Compose's .env / env_file format.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "compose/interpolate.h"

namespace berth::compose {

// Keys and values in file order; nullopt for a bare `KEY` line (the caller takes the value from
// its environment). A key given twice keeps its first position and its last value.
using EnvList = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Compose's .env / env_file format: KEY=VALUE lines (KEY: VALUE too), blank lines and # comments,
// optional leading `export `, unquoted values trimmed with inline " #" comments removed,
// 'single quoted' literal, "double quoted" with \n \r \t \\ \" \$ (and \a \b \f \v \0NNN) escapes
// and multi-line, interpolation in unquoted and double-quoted values through `lookup`, where keys
// defined earlier in the same file take precedence; `KEY` alone -> nullopt. Errors name the file
// and line: "<file>:<line>: unexpected character ...".
Result<EnvList> parseDotenv(std::string_view text, std::string_view fileName, const Lookup& lookup);

// Reads and parses the file at `path`. A read error keeps its errno (ENOENT for a missing file,
// so a caller can let `required: false` files pass) and names the path.
Result<EnvList> readDotenvFile(const std::string& path, const Lookup& lookup);

}  // namespace berth::compose
