// The JSON message streams of pull, push, load, import and build: the request streamed
// through JsonMessageStream (cli/jsonmessage.h) to the command's stdout.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "cli/client.h"
#include "cli/ctx.h"
#include "common/result.h"

namespace berth::cli {

struct ProgressOptions {
    bool terminal = false;                             // draw bars (ctx.outIsTerminal())
    bool display = true;                               // false: consume the stream silently (quiet)
    std::function<void(const nlohmann::json&)> onAux;  // "aux" payloads (image IDs, digests)
};

// Streams the request; renders messages to ctx.out(). A non-2xx status is the daemon's error
// ("Error response from daemon: ..."); an error message in the stream is returned with its
// text as is (code: its "code" when set, else 1 - the exit status docker uses).
Status streamProgress(Ctx& ctx, const Request& r, const ProgressOptions& opts);

}  // namespace berth::cli
