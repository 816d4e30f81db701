// `berth logs`: fetch the logs of a container.
#include <nlohmann/json.hpp>

#include "cli/stream.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

Result<int> runLogs(Ctx& ctx, const Flags& f) {
    json c = TRY(infoInspectContainer(ctx, f.args()[0]));
    bool tty = c.contains("Config") && c["Config"].is_object() && c["Config"].value("Tty", false);
    std::string since = TRY(infoApiTimestamp(f.s("since")));
    std::string until = TRY(infoApiTimestamp(f.s("until")));
    Request r;
    r.path = "/containers/" + c.value("Id", f.args()[0]) + "/logs" +
             query({{"stdout", "1"},
                    {"stderr", "1"},
                    {"since", since},
                    {"until", until},
                    {"timestamps", f.b("timestamps") ? "1" : ""},
                    {"follow", f.b("follow") ? "1" : ""},
                    {"tail", f.s("tail")},
                    {"details", f.b("details") ? "1" : ""}});
    auto* client = TRY(ctx.client());
    FrameDemuxer demux(ctx.outFd, ctx.errFd);
    Status failed;
    auto resp = TRY(client->stream(r, [&](std::string_view d) {
        if (tty) {
            ctx.out(d);
            return true;
        }
        failed = demux.feed(d);
        return static_cast<bool>(failed);
    }));
    if (!resp.ok()) return apiError(resp);
    TRY(std::move(failed));
    return 0;
}

}  // namespace

Command cmdLogs() {
    Command c;
    c.name = "logs";
    c.use = "[OPTIONS] CONTAINER";
    c.shortHelp = "Fetch the logs of a container";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.boolean("details", 0, "Show extra details provided to logs");
        f.boolean("follow", 'f', "Follow log output");
        f.string("since", 0, "",
                 "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
                 "\"42m\" for 42 minutes)");
        f.string("tail", 'n', "all", "Number of lines to show from the end of the logs");
        f.boolean("timestamps", 't', "Show timestamps");
        f.string("until", 0, "",
                 "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative "
                 "(e.g. \"42m\" for 42 minutes)");
    };
    c.run = runLogs;
    return c;
}

}  // namespace berth::cli
