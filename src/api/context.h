// Internal to the API layer: what every route handler gets (the backends, the daemon's
// description, metrics), the route table, and the helpers shared by the route files.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "api/exchange.h"
#include "api/server.h"
#include "engine/engine.h"

namespace berth::api {

class Metrics;

inline constexpr const char* kApiVersion = "1.50";
inline constexpr const char* kMinApiVersion = "1.41";
inline constexpr const char* kServerVersion = "0.1.0";

struct Context {
    engine::Engine& engine;
    image::Service& images;
    net::Manager& network;
    DaemonInfo info;
    Metrics& metrics;
    std::atomic<bool>& stopping;
};

using Handler = std::function<Status(Context&, Exchange&)>;

struct Route {
    std::string method;
    std::vector<std::string> segments;  // "images", "{}", "{*}" (one or more segments), "json"
    Handler handler;
};

class Router {
  public:
    // pattern: "/images/{*}/json"; `{}` captures one segment, `{*}` one or more (greedy,
    // image names hold slashes).
    void add(const std::string& method, const std::string& pattern, Handler h);
    // The route for method+path with its captures; nullptr when none (pathKnown tells 405
    // from 404).
    const Route* match(const std::string& method, const std::string& path,
                       std::vector<std::string>& params, bool& pathKnown) const;

  private:
    std::vector<Route> routes_;
};

void addSystemRoutes(Router& r);
void addEventRoutes(Router& r);
void addImageRoutes(Router& r);
void addImageTransferRoutes(Router& r);
void addBuildRoutes(Router& r);
void addNetworkRoutes(Router& r);
void addContainerRoutes(Router& r);
void addContainerIoRoutes(Router& r);
void addExecRoutes(Router& r);
void addVolumeRoutes(Router& r);

// --- query helpers (query.cpp) ------------------------------------------------------------
// docker's filters query value (map-of-bools or list form); keys not in `allowed` are
// rejected with docker's "invalid filter 'x'".
Result<engine::Filters> parseFilters(const Exchange& ex, const std::vector<std::string>& allowed);
Result<int64_t> parseInt(const std::string& s, const std::string& what);
// A query int with a default when absent or empty.
Result<int64_t> queryInt(const Request& r, const std::string& key, int64_t def);
// docker's timestamps for since/until: "1700000000", "1700000000.123456789", RFC 3339, or a
// duration ("10m") before now. Returns unix nanoseconds; empty -> 0.
Result<int64_t> parseTimestamp(const std::string& s);
std::string rfc3339Nano(int64_t unixNs);
std::string base64Encode(std::string_view s);
Result<std::string> base64Decode(std::string_view s);  // standard and URL alphabets

// Publishes an event on the engine's bus.
void publishEvent(Context& c, const std::string& type, const std::string& action,
                  const std::string& id, std::map<std::string, std::string> attrs);

}  // namespace berth::api
