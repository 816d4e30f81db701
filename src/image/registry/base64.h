// Base64 (RFC 4648) in both alphabets: the standard one for HTTP Basic credentials and docker's
// config.json "auth", the URL-safe one for X-Registry-Auth headers and JWT parts.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::image::registry {

std::string base64Encode(std::string_view data, bool urlSafe = false);
// Accepts either alphabet, with or without '=' padding (clients differ); whitespace is skipped.
Result<std::string> base64Decode(std::string_view text);

}  // namespace berth::image::registry
