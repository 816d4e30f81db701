// Output helpers of the image verbs: docker's time strings.
#pragma once

#include <cstdint>
#include <string>

namespace berth::cli {

// Go's time.Unix(t).String() in local time: "2026-11-25 17:24:29 +0000 UTC".
std::string goTimeString(int64_t unixSeconds);
// RFC 3339 in local time: "2026-11-25T17:24:29Z" / "...+01:00".
std::string rfc3339(int64_t unixSeconds);

}  // namespace berth::cli
