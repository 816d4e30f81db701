// `berth tag`: create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
#include <nlohmann/json.hpp>

#include "cli/verbs/image_ref.h"
#include "cli/verbs/util.h"

namespace berth::cli {

Command cmdTag() {
    Command c;
    c.name = "tag";
    c.use = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]";
    c.shortHelp = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE";
    c.minArgs = 2;
    c.maxArgs = 2;
    c.run = [](Ctx& ctx, const Flags& f) -> Result<int> {
        ImageRef t = parseImageRef(f.args()[1]);
        if (!t.digest.empty()) return invalid("refusing to create a tag with a digest reference");
        TRY(apiPost(
            ctx,
            "/images/" + f.args()[0] + "/tag" +
                query({{"repo", fullName(f.args()[1])}, {"tag", t.tag.empty() ? "latest" : t.tag}}),
            nullptr));
        return 0;
    };
    return c;
}

}  // namespace berth::cli
