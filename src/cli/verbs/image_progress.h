// Renders the JSON message streams of pull, push, load, import and build as docker's
// jsonmessage does: progress bars redrawn in place on a terminal, plain lines otherwise
// (progress updates dropped), an error message ending the stream.
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

// Docker's progress text for a progressDetail (bar when total is known); "" when nothing to
// show. `width` is the terminal width (bars only when > 110); `now` for the time left.
std::string progressText(const nlohmann::json& detail, int width, int64_t now);

}  // namespace berth::cli
