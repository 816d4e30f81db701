#include "cli/verbs/util.h"

#include <nlohmann/json.hpp>

namespace berth::cli {

using nlohmann::json;

Error notImplemented(std::string_view verb) {
    return Error{ENOSYS, fmt::format("berth {}: not implemented yet", verb), true};
}

std::string query(std::initializer_list<std::pair<std::string_view, std::string>> kv) {
    std::string q;
    for (auto& [k, v] : kv) {
        if (v.empty()) continue;
        q += q.empty() ? "?" : "&";
        q += std::string(k) + "=" + urlEncode(v);
    }
    return q;
}

Result<std::string> filtersJson(const std::vector<std::string>& filterFlags) {
    if (filterFlags.empty()) return std::string();
    json f = json::object();
    for (auto& s : filterFlags) {
        auto eq = s.find('=');
        if (eq == std::string::npos) return invalid("bad format of filter (expected name=value)");
        std::string k = s.substr(0, eq), v = s.substr(eq + 1);
        for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        f[k][v] = true;
    }
    return f.dump();
}

json keyValues(const std::vector<std::string>& kv) {
    json o = json::object();
    for (auto& s : kv) {
        auto eq = s.find('=');
        o[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
    }
    return o;
}

Result<Response> apiCall(Ctx& ctx, Request r) {
    auto* c = TRY(ctx.client());
    auto resp = TRY(c->call(r));
    if (!resp.ok()) return apiError(resp);
    return resp;
}

Result<json> apiGet(Ctx& ctx, const std::string& path) {
    Request r;
    r.path = path;
    auto resp = TRY(apiCall(ctx, std::move(r)));
    auto j = json::parse(resp.body, nullptr, false);
    if (j.is_discarded()) return makeError(EPROTO, "invalid JSON from the daemon for {}", path);
    return j;
}

Result<json> apiPost(Ctx& ctx, const std::string& path, const json& body) {
    Request r;
    r.method = "POST";
    r.path = path;
    if (!body.is_null()) r.body = body.dump();
    auto resp = TRY(apiCall(ctx, std::move(r)));
    if (resp.body.empty()) return json();
    auto j = json::parse(resp.body, nullptr, false);
    if (j.is_discarded()) return json(resp.body);
    return j;
}

Result<int> forEach(Ctx& ctx, const std::vector<std::string>& names, bool echoName,
                    const std::function<Status(const std::string&)>& op) {
    int rc = 0;
    for (auto& n : names) {
        auto st = op(n);
        if (!st) {
            // A connection failure is the same for every name: say it once.
            if (st.error().msg.rfind("cannot reach berthd", 0) == 0) return std::move(st).error();
            ctx.err(st.error().msg + "\n");
            rc = 1;
        } else if (echoName) {
            ctx.out(n + "\n");
        }
    }
    return rc;
}

}  // namespace berth::cli
