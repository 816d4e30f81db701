// `berth diff`: inspect changes to files or directories on a container's filesystem.
#include <nlohmann/json.hpp>

#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

Command cmdDiff() {
    Command c;
    c.name = "diff";
    c.use = "CONTAINER";
    c.shortHelp = "Inspect changes to files or directories on a container's filesystem";
    c.minArgs = 1;
    c.maxArgs = 1;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        json changes = TRY(apiGet(ctx, "/containers/" + urlEncode(f.args()[0]) + "/changes"));
        std::string text;
        static const char* const kinds[] = {"C", "A", "D"};
        if (changes.is_array())
            for (auto& ch : changes) {
                int k = ch.value("Kind", 0);
                text += std::string(k >= 0 && k < 3 ? kinds[k] : "?") + " " + ch.value("Path", "") +
                        "\n";
            }
        ctx.out(text);
        return 0;
    };
    return c;
}

}  // namespace berth::cli
