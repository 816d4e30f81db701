// What verbs share: API calls returning parsed JSON, docker's query/filter encoding, and the
// "one line per container, errors to stderr" loop of the multi-container verbs.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/ctx.h"
#include "cli/flags.h"

namespace berth::cli {

// A stub's answer (for verbs not written yet).
Error notImplemented(std::string_view verb);

// "?a=1&b=x" from the pairs whose value is not empty (values URL-encoded).
std::string query(std::initializer_list<std::pair<std::string_view, std::string>> kv);
// docker's filters query value from `--filter k=v` flags: {"k":{"v":true},...} (not encoded).
Result<std::string> filtersJson(const std::vector<std::string>& filterFlags);

// "k=v" list flags (--label, --opt) as an object; "k" alone maps to "".
nlohmann::json keyValues(const std::vector<std::string>& kv);

// The response of a call; a non-2xx status is the daemon's error ("Error response from
// daemon: ...").
Result<Response> apiCall(Ctx& ctx, Request r);
// GET and parse JSON.
Result<nlohmann::json> apiGet(Ctx& ctx, const std::string& path);
// POST a JSON body (null: no body) and parse the answer (null when empty).
Result<nlohmann::json> apiPost(Ctx& ctx, const std::string& path, const nlohmann::json& body);

// Runs op for every name; docker's behaviour: prints `name` after each success when
// echoName is set, prints each failure to stderr and returns 1 if any failed.
Result<int> forEach(Ctx& ctx, const std::vector<std::string>& names, bool echoName,
                    const std::function<Status(const std::string&)>& op);

}  // namespace berth::cli
