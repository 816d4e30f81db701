// Human-readable sizes, durations and times as docker prints and parses them (docker/go-units,
// docker's timetypes and stringutils).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/units.h"

namespace berth::cli {

// Decimal size with 4 significant digits: 0B, 999B, 1kB, 4.26MB, 5.6GB (go-units HumanSize).
std::string humanSize(double bytes);
// The same with `precision` significant digits (HumanSizeWithPrecision; docker's SIZE columns
// of images, containers and stats use 3): "1.98MB".
std::string humanSizePrec(double bytes, int precision);
// Binary size with 4 significant digits: 512B, 1.5MiB, 2GiB (go-units BytesSize).
std::string bytesSize(double bytes);
// "Less than a second", "1 second", "About a minute", "3 hours", "2 weeks"... (HumanDuration).
std::string humanDuration(double seconds);
// humanDuration(now - unixSeconds) + " ago", as in the CREATED column of `docker ps`.
std::string timeAgo(int64_t unixSeconds, int64_t now);

// Go's time.Unix(t).String() in local time: "2026-11-25 17:24:29 +0000 UTC".
std::string goTimeString(int64_t unixSeconds);
// RFC 3339 in local time: "2026-11-25T17:24:29Z" / "...+01:00".
std::string rfc3339(int64_t unixSeconds);
// docker's RFC3339NanoFixed in local time: "2025-01-01T00:00:00.000000000Z" (or "+01:00"), as
// `docker events` and the JSON message stream print event times.
std::string rfc3339NanoFixed(int64_t unixNano);

// "512m", "1g", "1.5GiB", "1024": bytes, binary units, case-insensitive (go-units RAMInBytes).
using berth::parseBytes;
// A Go duration ("10s", "1m30s", "500ms", "-1.5h") in seconds (time.ParseDuration).
Result<double> parseDurationSeconds(std::string_view s);
// A --since/--until value: RFC 3339 (with or without fraction/zone; local time when no zone),
// a date, a unix timestamp ("1700000000[.123]") or a Go duration before `now`. Unix seconds.
Result<int64_t> parseTimestamp(std::string_view s, int64_t now);

// "sha256:0123456789abcdef..." -> "0123456789ab".
std::string truncateId(std::string_view id);
// Cut to at most `width` display columns, ending with "…" when cut (docker's Ellipsis).
std::string ellipsis(std::string_view s, size_t width);
// The code point at s[i], advancing i; an invalid byte decodes as U+FFFD and advances by one.
char32_t decodeUtf8(std::string_view s, size_t& i);
// The backslash escape Go's string quoting (strconv.Quote, goQuote) or its JSON encoder uses for
// r (`\n`, `\"`, ...), nullptr when r has none (JSON has no `\a` and `\v`).
const char* shortEscape(char32_t r, bool goQuote);
// Appends r encoded as UTF-8.
void appendUtf8(std::string& out, char32_t r);
// Terminal columns of UTF-8 text: wide East Asian characters count 2, combining marks 0.
size_t displayWidth(std::string_view s);

}  // namespace berth::cli
