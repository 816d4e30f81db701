// What every `berth compose` verb shares: the project (loaded from compose's own options), the
// daemon calls the executor makes, the project's containers as berthd lists them, and docker
// compose's progress lines (" Container demo-web-1  Started").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/ctx.h"
#include "cli/flags.h"
#include "common/result.h"
#include "compose/project.h"

namespace berth::cli::compose {

using nlohmann::json;
namespace model = berth::compose;

// compose's own options (`berth compose -f x.yaml -p name ...`), defined on the `compose`
// command and read back by every verb.
void defineProjectFlags(Flags& f);

struct LoadWhat {
    std::vector<std::string> services;  // named on the command line (enabled whatever profiles)
    bool warnings = true;               // print the loader's warnings to stderr
    bool interpolate = true, normalize = true, resolvePaths = true;
};
// The project from the compose options, the environment and the working directory.
Result<model::Project> loadProject(Ctx& ctx, const LoadWhat& what = {});
// The project name alone, for verbs that can work from labels when no file is found (down,
// ps, logs... with -p): the loaded project's name, else -p / COMPOSE_PROJECT_NAME.
Result<std::string> projectNameOnly(Ctx& ctx, model::Project* loaded);

enum class Oneoff { Exclude, Include, Only };

// A container of the project as GET /containers/json lists it, with the compose labels read.
struct Ctr {
    json raw;
    std::string id, name, service, state, image;
    int number = 0;
    bool oneoff = false;
    std::string hash() const;
    std::string label(const std::string& key) const;
};
// The project's containers (all states when `all`), of `services` only when not empty, sorted by
// service then number.
Result<std::vector<Ctr>> listContainers(Ctx& ctx, const std::string& project, bool all,
                                        const std::vector<std::string>& services = {},
                                        Oneoff oneoff = Oneoff::Exclude);

// A label of a container as GET /containers/{id}/json reports it ("" when none).
std::string labelValue(const json& inspect, const std::string& key);

// Progress lines on stderr, as docker compose's plain progress: " Container x  Started".
// Thread-safe.
void event(Ctx& ctx, std::string_view kind, std::string_view name, std::string_view status);

// Daemon calls (errors are the daemon's, "Error response from daemon: ...").
Result<json> inspectContainer(Ctx& ctx, const std::string& id);
Result<std::string> createContainer(Ctx& ctx, const std::string& name, const json& body);
Status startContainer(Ctx& ctx, const std::string& id);
Status stopContainer(Ctx& ctx, const std::string& id, std::optional<int> timeoutSec);
Status killContainer(Ctx& ctx, const std::string& id, const std::string& signal);
Status removeContainer(Ctx& ctx, const std::string& id, bool force, bool volumes);
Status renameContainer(Ctx& ctx, const std::string& id, const std::string& name);
Status connectNetwork(Ctx& ctx, const std::string& network, const std::string& id,
                      const json& endpoint);
Status putArchive(Ctx& ctx, const std::string& id, const std::string& dir, const std::string& tar);
// 404 -> json null.
Result<json> inspectOrNull(Ctx& ctx, const std::string& path);

// The stop timeout of a service (stop_grace_period), or `override` when set (-t).
std::optional<int> stopTimeout(const json& service, std::optional<int> override);

// Runs fn(i) for i in [0, n) concurrently, each worker with a context of its own (its own daemon
// connection; output to the same streams), at most --parallel / COMPOSE_PARALLEL_LIMIT workers
// when set. Returns the first error after all have finished.
Status parallel(Ctx& ctx, size_t n, const std::function<Status(Ctx&, size_t)>& fn);

// The project's container events as a counter that waits sleep on: `up` looks at its containers
// again when one started, died or changed health, instead of polling. The events come on a
// connection and a thread of their own.
class ProjectEvents {
  public:
    ProjectEvents(Ctx& ctx, const std::string& project);
    // The thread is left to end at the next event (it holds only its own state).
    ~ProjectEvents();
    ProjectEvents(const ProjectEvents&) = delete;
    ProjectEvents& operator=(const ProjectEvents&) = delete;

    // Events seen so far: read before looking, then wait(seen).
    uint64_t seq() const;
    // Returns once an event came after `seen`, or after a short poll interval when the stream
    // is not (or no longer) there, or after `max` at the latest.
    void wait(uint64_t seen, std::chrono::milliseconds max = std::chrono::milliseconds(500));

  private:
    struct State;
    std::shared_ptr<State> st_;
};

// Colour of a service's log prefix / "auto" handling of --ansi.
bool useColour(Ctx& ctx);

}  // namespace berth::cli::compose
