// `berth top`: display the running processes of a container.
#include <nlohmann/json.hpp>

#include "cli/table.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

Command cmdTop() {
    Command c;
    c.name = "top";
    c.use = "CONTAINER [ps OPTIONS]";
    c.shortHelp = "Display the running processes of a container";
    c.minArgs = 1;
    c.maxArgs = -1;
    c.interspersed = false;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        auto& args = f.args();
        std::string psArgs;
        for (size_t i = 1; i < args.size(); ++i) psArgs += (i > 1 ? " " : "") + args[i];
        json top = TRY(apiGet(
            ctx, "/containers/" + urlEncode(args[0]) + "/top" + query({{"ps_args", psArgs}})));
        auto row = [](const json& cells) {
            std::string line;
            bool first = true;
            for (auto& cell : cells) {
                if (!first) line += '\t';
                first = false;
                line += cell.is_string() ? cell.get<std::string>() : cell.dump();
            }
            return line + "\n";
        };
        std::string text = row(top.value("Titles", json::array()));
        for (auto& p : top.value("Processes", json::array())) text += row(p);
        // docker's tabwriter for top: minwidth 20, padding 3.
        ctx.out(tabwrite(text, TabOptions{20, 3, ' '}));
        return 0;
    };
    return c;
}

}  // namespace berth::cli
