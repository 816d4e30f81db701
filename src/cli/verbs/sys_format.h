// docker's --format handling for the list and inspect output of the network, volume and system
// verbs: "table" / "table TMPL" / "json" / a Go template, rendered over JSON rows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::cli {

// Renders `rows` (a JSON array) as docker's formatter does: format "" or "table" uses
// defaultTable ("table {{.ID}}\t..."); a table gets a header line (headers maps field ->
// column title) and is aligned with docker's tabwriter; other formats print one line per row.
Result<std::string> sysRenderList(std::string_view format, const nlohmann::json& rows,
                                  const nlohmann::json& headers, std::string_view defaultTable);

// inspect output: no format = the items as an indented JSON array (docker's 4 spaces), else
// the template once per item.
Result<std::string> sysRenderEach(std::string_view format, const nlohmann::json& items);

// "\t" and "\n" typed as two characters become the characters (docker's preFormat).
std::string sysUnescapeFormat(std::string_view format);

}  // namespace berth::cli

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
