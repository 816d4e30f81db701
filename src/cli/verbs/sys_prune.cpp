#include "cli/verbs/sys_prune.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace berth::cli {

using nlohmann::json;

bool sysConfirm(Ctx& ctx, std::string_view message) {
    ctx.out(std::string(message) + "\nAre you sure you want to continue? [y/N] ");
    std::string line;
    char ch;
    while (true) {
        ssize_t r = ::read(ctx.inFd, &ch, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || ch == '\n') break;
        line += ch;
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(line.begin());
    return line == "y" || line == "Y";
}

std::string sysFilterNote(const std::vector<std::string>& filters) {
    if (filters.empty()) return {};
    std::string s = "\n  Items to be pruned will be filtered with:\n";
    for (auto& f : filters) s += "  - " + f + "\n";
    return s;
}

namespace {

std::string listed(const json& j, const char* key, const char* title) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_array() || j[key].empty()) return {};
    std::string s = std::string(title) + "\n";
    for (auto& v : j[key]) {
        if (v.is_string()) {
            s += v.get<std::string>() + "\n";
        } else if (v.is_object()) {  // images: {"Untagged": x} or {"Deleted": x}
            if (v.contains("Untagged") && v["Untagged"].is_string() &&
                !v["Untagged"].get<std::string>().empty())
                s += "untagged: " + v["Untagged"].get<std::string>() + "\n";
            else if (v.contains("Deleted") && v["Deleted"].is_string())
                s += "deleted: " + v["Deleted"].get<std::string>() + "\n";
        }
    }
    return s;
}

}  // namespace

Result<SysPruneReport> sysPrune(Ctx& ctx, std::string_view kind,
                                const std::vector<std::string>& filters) {
    std::string fj = TRY(filtersJson(filters));
    Request r;
    r.method = "POST";
    r.path = "/" + std::string(kind) + "/prune" + query({{"filters", fj}});
    auto resp = apiCall(ctx, std::move(r));
    SysPruneReport rep;
    if (!resp) {
        // A daemon without a build cache has nothing to prune there.
        if (kind == "build" && resp.error().code == 404) return rep;
        return std::move(resp).error();
    }
    auto j = json::parse(resp->body, nullptr, false);
    if (!j.is_object()) return rep;
    if (kind == "containers")
        rep.output = listed(j, "ContainersDeleted", "Deleted Containers:");
    else if (kind == "networks")
        rep.output = listed(j, "NetworksDeleted", "Deleted Networks:");
    else if (kind == "volumes")
        rep.output = listed(j, "VolumesDeleted", "Deleted Volumes:");
    else if (kind == "images")
        rep.output = listed(j, "ImagesDeleted", "Deleted Images:");
    else if (kind == "build")
        rep.output = listed(j, "CachesDeleted", "Deleted build cache objects:");
    if (j.contains("SpaceReclaimed") && j["SpaceReclaimed"].is_number())
        rep.reclaimed = j["SpaceReclaimed"].get<uint64_t>();
    return rep;
}

}  // namespace berth::cli
