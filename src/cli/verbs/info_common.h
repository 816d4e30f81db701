// Helpers shared by the read-only container verbs (ps, inspect, logs, stats, top, port, events,
// diff, wait, cp, export, commit): docker's formatting of ports and sizes, the raw JSON
// re-indentation of `docker inspect`, and the --format help text.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "cli/ctx.h"
#include "common/result.h"

namespace berth::cli {

// --format usage texts as docker words them (list commands / inspect-like commands).
extern const char* const kInfoFormatListUsage;
extern const char* const kInfoFormatJsonUsage;

// `docker ps`'s PORTS column from /containers/json "Ports": consecutive ports grouped into
// ranges, "0.0.0.0:8080->80/tcp, 9000-9001/udp".
std::string infoDisplayablePorts(const nlohmann::json& ports);

// The row `docker ps` formats for one /containers/json entry (its template fields: ID, Names,
// Image, Command, CreatedAt, RunningFor, Ports, State, Status, Size, Labels, Mounts, Networks);
// `trunc` as without --no-trunc. Defined in ps.cpp.
nlohmann::json psRow(const nlohmann::json& c, bool trunc, int64_t now);

// Go's json.Indent(raw, "", "    ") of a JSON text: the daemon's bytes kept as they are (key
// order, escapes, number spelling), only whitespace changed.
std::string infoIndentJson(std::string_view raw);

// Whether a name is a container that exists (for the tty check of logs, cp...): the inspect
// JSON, or the daemon's "No such container" error.
Result<nlohmann::json> infoInspectContainer(Ctx& ctx, const std::string& name);

// A --since/--until value as docker sends it: "seconds.nanoseconds" ("" for "").
Result<std::string> infoApiTimestamp(std::string_view value);

}  // namespace berth::cli
