// The request vocabulary of berth-net: one JSON object in, one JSON object out.
//   {"op": "createNetwork", "name": "n1", "subnet": "10.1.0.0/24", ...}
//   -> {"ok": true, "result": {...Docker-API-shaped Network...}}
//   -> {"ok": false, "error": "network with name n1 already exists", "errno": "EEXIST"}
#pragma once

#include <nlohmann/json.hpp>

#include "network/network.h"

namespace berth::netcmd {

// Runs one request. `stop` is set by {"op": "shutdown"}.
nlohmann::json handle(net::Manager& m, const nlohmann::json& req, bool& stop);

// Docker-API-shaped JSON of the manager's types.
nlohmann::json toJson(const net::NetworkInfo& n);
nlohmann::json toJson(const net::EndpointInfo& e);
nlohmann::json toJson(const net::SandboxInfo& s);

}  // namespace berth::netcmd
