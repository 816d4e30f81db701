#include "cli/verbs/sys_ctr.h"

#include <nlohmann/json.hpp>

namespace berth::cli {

std::string sysContainerPath(std::string_view name) {
    return "/containers/" + urlEncode(name);
}

Result<int> sysPostEach(Ctx& ctx, const std::vector<std::string>& names, std::string_view suffix) {
    return forEach(ctx, names, true, [&](const std::string& n) -> Status {
        if (n.empty()) return invalid("container name cannot be empty");
        Request r;
        r.method = "POST";
        r.path = sysContainerPath(n) + std::string(suffix);
        auto resp = apiCall(ctx, std::move(r));
        // 304: already in that state (stop of a stopped container), a success for docker.
        if (!resp && resp.error().code != 304) return std::move(resp).error();
        return okStatus();
    });
}

}  // namespace berth::cli
