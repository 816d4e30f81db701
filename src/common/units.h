// Sizes and durations as docker writes them, shared by the CLI's flags and the compose model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth {

// docker's RAMInBytes (go-units): a decimal number, an optional space, an optional binary unit
// b, k, m, g, t, p (case-insensitive, x1024 each) with an optional "b" or "ib" after k..p:
// "512", "64m", "1.5g", "10kb", "1GiB", "100 MB"; truncated to whole bytes. Errors as go-units
// words them: "invalid size: '-1'", "invalid suffix: 'x'", strconv's for a bad number.
Result<int64_t> parseBytes(std::string_view s);

// Go's time.ParseDuration: a signed sequence of decimal numbers with units ns, us (µs, μs), ms,
// s, m, h: "1m30s", "1.5s", "300ms", "2h45m", "-1.5h", "0". Error texts as Go's:
// time: invalid duration "x", time: missing unit in duration "1", time: unknown unit "d" in
// duration "1d".
Result<int64_t> parseDurationNs(std::string_view s);

// Go's Duration.String(): "1m30s", "1.5s", "0s", "300ms", "1h0m0s", "1.5µs", "-2s".
std::string formatDuration(int64_t ns);

}  // namespace berth
