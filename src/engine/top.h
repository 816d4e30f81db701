// docker top: the host's ps (procps) run with the client's arguments, its rows kept for the
// container's pids.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"

namespace berth::engine {

// ContainerTopResponse as JSON text: {"Titles":[...],"Processes":[[...]]}. psArgs: the
// `ps_args` query parameter ("" = "-ef"), split on spaces as docker does; "-q<pids>" is added
// so ps only lists the container's processes (retried without it when ps refuses the mix,
// e.g. with "f"). Rows whose PID column is in `pids` are kept, with thread rows ("-" PID)
// that follow a kept row. The last column gets the rest of the line (the command).
// Errors: EINVAL for `specifying "user=PID" is not allowed`-style arguments (docker's check);
// a failing ps gives "ps: <its first stderr line>"; output without a PID column gives
// "Couldn't find PID field in ps output" (both code 0: a server error).
Result<std::string> topJson(const std::vector<pid_t>& pids, const std::string& psArgs);

// The parsing half, for tests: ps output -> the JSON above.
Result<std::string> parsePsOutput(const std::string& output, const std::vector<pid_t>& pids);

}  // namespace berth::engine
