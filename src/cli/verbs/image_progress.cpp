#include "cli/verbs/image_progress.h"

#include "cli/jsonmessage.h"

namespace berth::cli {

Status streamProgress(Ctx& ctx, const Request& r, const ProgressOptions& opts) {
    auto* c = TRY(ctx.client());
    JsonMessageOptions jo;
    jo.outFd = ctx.outFd;
    jo.terminal = opts.terminal;
    jo.quiet = !opts.display;
    jo.onAux = opts.onAux;
    JsonMessageStream js(std::move(jo));
    Status fed;
    auto resp = TRY(c->stream(r, [&](std::string_view data) {
        fed = js.feed(data);
        return fed.ok() && !js.failed();  // docker stops reading at the first error
    }));
    if (!resp.ok()) return apiError(resp);
    TRY(fed);
    return js.finish();
}

}  // namespace berth::cli
