// The text docker's classic builder records as each step's created_by, which also keys the
// build cache: "/bin/sh -c #(nop)  CMD [\"sh\"]" for metadata steps (Go's %q of a []string),
// "/bin/sh -c #(nop) COPY file:<hash> in /dst " for copies, "/bin/sh -c <cmd>" for RUN; and
// Go's duration syntax for HEALTHCHECK options.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "image/manifest.h"

namespace berth::image::build {

// Go's strconv.Quote for ASCII/UTF-8 text.
std::string goQuote(std::string_view s);
// fmt.Sprintf("%q", []string{...}): ["a" "b"]
std::string goQuoteList(const std::vector<std::string>& v);
// fmt.Sprintf("%v", []string{...}): [a b]
std::string goList(const std::vector<std::string>& v);
// time.Duration.String(): "1m30s", "1.5s", "100ms", "0s".
std::string goDuration(int64_t ns);
// time.ParseDuration: "30s", "1m30s", "1.5h", "100ms", "10us".
Result<int64_t> parseGoDuration(std::string_view s);
// fmt.Sprintf("%q", *HealthConfig) as the classic builder records it.
std::string healthcheckText(const HealthConfig& h);

// Metadata step: shell + "#(nop) " + comment, joined by spaces (two spaces after "#(nop)").
std::string nopComment(const std::vector<std::string>& shell, std::string_view comment);
// COPY/ADD/WORKDIR: shell + "#(nop) <comment>" (one space).
std::string nopCommentString(const std::vector<std::string>& shell, std::string_view comment);

}  // namespace berth::image::build
