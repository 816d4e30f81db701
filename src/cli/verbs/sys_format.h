// Small output helpers of the network, volume and system verbs (their --format rendering is
// cli/format.h's).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::cli {

// docker's sortorder.NaturalLess: digit runs compare as numbers ("net2" < "net10").
bool sysNaturalLess(std::string_view a, std::string_view b);

// Go's time.Time.String() of an RFC 3339 time from the API:
// "2026-11-25T17:24:28.8067Z" -> "2026-11-25 17:24:28.8067 +0000 UTC".
std::string sysGoTime(std::string_view rfc3339);

// "k=v,k2=v2" of a labels object, keys sorted (docker joins a Go map: unordered).
std::string sysJoinLabels(const nlohmann::json& labels);

// Splits docker's "strings" flag values on commas.
std::vector<std::string> sysSplitCommas(const std::vector<std::string>& values);

}  // namespace berth::cli
