// The engine: containers (lifecycle, restart policies, health, exec, logs, stats, events),
// volumes, the SQLite store, monitor spawning and recovery. What the API layer calls.
//
// The engine speaks the Docker Engine API's model: requests and answers are the API's JSON
// objects (ContainerCreateRequest, ContainerInspectResponse, ContainerSummary, ExecConfig,
// Volume, ...), parsed and rendered here, so the HTTP layer stays a thin router and the CLI,
// the docker CLI and docker-py see one system.
//
// Errors: Error::code tells the API layer docker's status code:
//   ENOENT -> 404 (no such container / exec / volume / image),
//   EINVAL -> 400 (bad request: a malformed body, an impossible setting),
//   EEXIST, EBUSY, ECONFLICT-like states (ENOTEMPTY, EADDRINUSE) -> 409 (name in use,
//            container running, volume in use, port taken),
//   EALREADY -> 304 (start of a running container, stop of a stopped one),
//   anything else -> 500.
// Messages are docker's where a client or a test may match them ("No such container: x").
//
// Every public method is thread-safe and may block (the API runs each request on its own
// thread); long ones (logs with follow, wait, stats stream) end when the sink returns false.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::image {
class Service;
}
namespace berth::net {
class Manager;
}

namespace berth::engine {

class EventBus;

struct Options {
    std::string root = "/var/lib/berth";  // berth.db, containers/<id>/, volumes/<name>/
    std::string runRoot = "/run/berth";   // monitors/<id>/, runtime/ (runtime state)
    // berth-monitor and berth-init binaries; empty: beside /proc/self/exe.
    std::string monitorPath, initPath;
    std::string cgroupParent = "berth";
    // Log rotation defaults of the json-file driver (daemon.json "log-opts" max-size/max-file);
    // a container's HostConfig.LogConfig overrides them. 0 = unlimited.
    int64_t logMaxSize = 0;
    int logMaxFiles = 1;
    std::string hostname;  // reported by info; empty: gethostname()
};

// docker's filters ({"label":{"a=b":true}} or {"label":["a=b"]}), as key -> values.
using Filters = std::map<std::string, std::vector<std::string>>;
// moby's filters.Match for name filters: equal, or the pattern (a regular expression; an
// invalid one matches nothing) found in `s`.
bool filterMatch(const std::string& pattern, const std::string& s);

struct CreateResult {
    std::string id;
    std::vector<std::string> warnings;
};

enum class WaitCondition { NotRunning, NextExit, Removed };
struct WaitResult {
    int statusCode = 0;
    std::string error;  // Error.Message of the wait response, empty when none
};

struct LogOptions {
    bool stdoutStream = true, stderrStream = true;
    bool follow = false, timestamps = false;
    int64_t sinceNs = 0, untilNs = 0;  // 0 = unbounded
    int tail = -1;                     // -1 = all
};
// One log line (with its trailing newline, as written); stream 1 = stdout, 2 = stderr.
// Returns false to stop (client gone).
using LogSink = std::function<bool(int stream, std::string_view data, int64_t timeNs)>;

struct AttachOptions {
    bool stdinStream = false, stdoutStream = false, stderrStream = false;
    bool stream = true;  // live output
    bool logs = false;   // replay the log first
    std::string detachKeys;
};
// A connection to the container's (or exec's) monitor carrying docker's attach stream: raw
// bytes with a TTY, docker's 8-byte multiplexed frames without; what is written to it is the
// process's stdin, shutdown(SHUT_WR) closes that stdin. The API copies both ways between it and
// the hijacked client connection.
struct AttachStream {
    UniqueFd fd;
    bool tty = false;
};

struct Counts {
    int total = 0, running = 0, paused = 0, stopped = 0;
};

// Bytes to the client (archive, export); false/error = stop.
using WriteFn = std::function<Status(std::string_view)>;
// Bytes from the client (put archive): returns 0 at the end.
using ReadFn = std::function<Result<size_t>(void* buf, size_t n)>;

struct CommitRequest {
    std::string container, repo, tag, comment, author;
    bool pause = true;
    std::vector<std::string> changes;  // Dockerfile instructions
    std::string configJson;            // ContainerConfig body (may be empty)
};

class Engine {
  public:
    // Opens the store (creating it on first use) and recovers: running containers are
    // re-adopted from their monitors, those that ended meanwhile get their exit code, orphans
    // (monitor dirs, mounts, sandboxes no row explains) are removed, restart policies resume.
    static Result<std::unique_ptr<Engine>> open(const Options& o, image::Service& images,
                                                net::Manager& network);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    EventBus& events();

    // --- containers -----------------------------------------------------------------------
    // body: ContainerCreateRequest (Config fields + HostConfig + NetworkingConfig).
    Result<CreateResult> create(const std::string& name, const nlohmann::json& body);
    Result<std::string> resolve(const std::string& idOrName) const;  // full id
    Result<nlohmann::json> inspect(const std::string& idOrName, bool size) const;
    // ContainerSummary array.
    Result<nlohmann::json> list(bool all, int limit, bool size, const Filters& f) const;
    Status start(const std::string& idOrName);
    // timeout: seconds (nullopt: the container's StopTimeout, else 10); signal: "" = its
    // StopSignal (else SIGTERM).
    Status stop(const std::string& idOrName, std::optional<int> timeout, const std::string& signal);
    Status restart(const std::string& idOrName, std::optional<int> timeout,
                   const std::string& signal);
    Status kill(const std::string& idOrName, const std::string& signal);
    Status pause(const std::string& idOrName);
    Status unpause(const std::string& idOrName);
    Status rename(const std::string& idOrName, const std::string& newName);
    Status remove(const std::string& idOrName, bool force, bool removeVolumes);
    // Blocks until the condition holds or cancelled() returns true (polled about every 200 ms).
    Result<WaitResult> wait(const std::string& idOrName, WaitCondition c,
                            const std::function<bool()>& cancelled);
    // body: ContainerUpdateRequest (resources, RestartPolicy). Returns {"Warnings":[...]}.
    Result<nlohmann::json> update(const std::string& idOrName, const nlohmann::json& body);
    // {"ContainersDeleted":[...],"SpaceReclaimed":N}
    Result<nlohmann::json> prune(const Filters& f);

    Status logs(const std::string& idOrName, const LogOptions& o, const LogSink& sink);
    // `ready` (may be empty) runs once the attach is registered and before any wait for the
    // start: the API sends its handshake there, so a client that starts the container as soon
    // as it has the handshake (docker run) cannot start it before the attach is in place.
    Result<AttachStream> attach(const std::string& idOrName, const AttachOptions& o,
                                const std::function<Status()>& ready = {});
    Status resize(const std::string& idOrName, int height, int width);
    // ContainerTopResponse {"Titles":[...],"Processes":[[...]]}.
    Result<nlohmann::json> top(const std::string& idOrName, const std::string& psArgs);
    // One StatsResponse per second while stream (the first has no precpu), or one.
    Status stats(const std::string& idOrName, bool stream, bool oneShot,
                 const std::function<bool(const nlohmann::json&)>& sink);
    // [{"Path":"/x","Kind":0|1|2}] (modified, added, deleted).
    Result<nlohmann::json> changes(const std::string& idOrName);
    Status exportRootfs(const std::string& idOrName, const WriteFn& out);
    Result<std::string> commit(const CommitRequest& r);  // new image ID
    // docker cp: stat (X-Docker-Container-Path-Stat JSON), get a tar, put a tar.
    Result<nlohmann::json> pathStat(const std::string& idOrName, const std::string& path);
    Status getArchive(const std::string& idOrName, const std::string& path, const WriteFn& out);
    Status putArchive(const std::string& idOrName, const std::string& path, const ReadFn& in,
                      bool noOverwriteDirNonDir, bool copyUidGid);

    // docker network connect/disconnect: a running container gets (loses) the endpoint at
    // once; a stopped one gets it at its next start. endpointConfig: EndpointSettings.
    Status networkConnect(const std::string& idOrName, const std::string& network,
                          const nlohmann::json& endpointConfig);
    Status networkDisconnect(const std::string& idOrName, const std::string& network, bool force);

    // --- exec -----------------------------------------------------------------------------
    Result<std::string> execCreate(const std::string& idOrName, const nlohmann::json& body);
    // body: ExecStartConfig {Detach, Tty, ConsoleSize}. A detached exec gives an invalid fd.
    Result<AttachStream> execStart(const std::string& execId, const nlohmann::json& body);
    Status execResize(const std::string& execId, int height, int width);
    Result<nlohmann::json> execInspect(const std::string& execId) const;

    // --- volumes --------------------------------------------------------------------------
    Result<nlohmann::json> volumeCreate(const nlohmann::json& body);  // Volume
    Result<nlohmann::json> volumeInspect(const std::string& name) const;
    Result<nlohmann::json> volumeList(const Filters& f) const;  // {"Volumes":[],"Warnings":[]}
    Status volumeRemove(const std::string& name, bool force);
    Result<nlohmann::json> volumePrune(const Filters& f);  // {"VolumesDeleted":[],"SpaceReclaimed"}

    // --- system ---------------------------------------------------------------------------
    Counts counts() const;
    std::set<std::string> imagesInUse() const;  // image IDs ("sha256:...") of all containers
    // system df parts: Containers (ContainerSummary with SizeRw/SizeRootFs) and Volumes (with
    // UsageData).
    Result<nlohmann::json> diskUsageContainers() const;
    Result<nlohmann::json> diskUsageVolumes() const;
    // Prometheus text lines for the engine's metrics (containers by state, starts, restarts).
    std::string metricsText() const;
    // Graceful: stops accepting work and detaches from monitors; containers keep running.
    void shutdown();

    struct Impl;

  private:
    explicit Engine(std::unique_ptr<Impl> impl);
    // docker's SizeRw (bytes in the container's writable layer) and SizeRootFs (SizeRw plus
    // the image's layers), for inspect, list and system df. Walks the upper dir: call it
    // without holding the container's lock.
    struct LayerSizes {
        int64_t rw = 0, rootFs = 0;
    };
    LayerSizes layerSizes(const std::string& id, const std::string& imageId) const;
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::engine
