// Small value parsers the compose loader and executor share: shell words, and (from
// common/units.h) byte sizes and durations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace berth::compose {

// POSIX-shell-like words: blanks (space, tab, newline) separate words; 'single quotes' are
// literal; "double quotes" keep blanks and take backslash escapes of \ " $ ` and newline only;
// outside quotes a backslash escapes any character (backslash-newline joins lines). No
// expansion, no operators. "" and '' make an empty word. An unterminated quote is an error.
// "sh -c 'echo hi'" -> {"sh", "-c", "echo hi"}.
Result<std::vector<std::string>> shellSplit(std::string_view s);

// Sizes and durations (common/units.h), under the names the compose code uses.
using berth::formatDuration;
using berth::parseBytes;
using berth::parseDurationNs;

}  // namespace berth::compose
