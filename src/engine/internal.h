// The engine's internals, shared by its .cpp files only (heavy: nlohmann/json.hpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/events.h"
#include "engine/store.h"
#include "runtime/cgroups/primer.h"
#include "runtime/container.h"

namespace berth::image {
class Service;
}
namespace berth::net {
class Manager;
}

namespace berth::engine {

using Json = nlohmann::json;

inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

std::string nowRfc3339Nano();
std::string rfc3339Nano(int64_t ns);
int64_t nowNs();
// Parses docker's time forms (RFC 3339 with or without fraction/zone, unix seconds with an
// optional fraction, or a Go duration meaning that long ago: "24h"); 0 for the zero time.
Result<int64_t> parseTimeNs(const std::string& s);

struct ContainerState {
    std::string status = "created";  // created running paused restarting removing exited dead
    bool oomKilled = false;
    int pid = 0, exitCode = 0;
    std::string error, startedAt = kZeroTime, finishedAt = kZeroTime;
    Json health;  // null without a healthcheck: {Status, FailingStreak, Log}
};

// The persisted record of a container (one row).
struct Container {
    std::string id, name;  // name without the leading '/'
    std::string created, image, imageId;
    std::string path;
    std::vector<std::string> args;
    Json config;            // ContainerConfig, merged with the image's
    Json hostConfig;        // HostConfig as given, normalised
    Json networkingConfig;  // {"EndpointsConfig": {...}}
    Json networkSettings;   // NetworkSettings of the last start (ports, networks)
    Json mounts;            // MountPoint list
    ContainerState state;
    int restartCount = 0;
    bool manuallyStopped = false;  // docker stop/kill: no restart until started again
    bool hasBeenStarted = false;
    std::string hostsPath, resolvConfPath, hostnamePath;

    Json toRecord() const;
    static Result<Container> fromRecord(const Json& j);
    bool running() const { return state.status == "running" || state.status == "paused"; }
};

// An attach that arrived before the container started (docker run): connected in the
// monitor's beforeStart hook, so no output is lost.
struct PendingAttach {
    AttachOptions opts;
    std::optional<Result<UniqueFd>> result;  // set by the start hook (or an error on failure)
};

struct Entry {
    std::mutex mu;  // serialises lifecycle operations; state changes notify cv
    std::condition_variable cv;
    Container c;
    uint64_t exitSeq = 0;  // bumped at every exit
    bool removed = false;
    bool starting = false;  // between start() and the process running
    std::vector<PendingAttach*> pendingAttaches;
    int backoffMs = 0;  // restart policy delay, doubled per restart
    std::atomic<bool> healthStop{false};
    std::thread healthThread;
    // The health thread sleeps on this between probes, so a stop wakes it at once.
    std::mutex healthMu;
    std::condition_variable healthCv;
};

struct ExecRecord {
    std::string id, containerId;
    Json config;  // ExecConfig
    bool tty = false, openStdin = false;
    // Written by the exit watcher's thread, read by API threads.
    std::atomic<bool> running{false}, exited{false};
    std::atomic<int> exitCode{-1}, pid{0};
    std::string stateDir;
    unsigned pendingH = 0, pendingW = 0;
};

struct Metrics {
    std::atomic<uint64_t> starts{0}, restarts{0}, exits{0}, creates{0}, removes{0};
};

class ExitWatcher;
class DirReaper;

struct Engine::Impl {
    Options opts;
    image::Service* images = nullptr;
    net::Manager* network = nullptr;
    std::unique_ptr<Store> store;
    EventBus events;
    Metrics metrics;
    std::unique_ptr<ExitWatcher> watcher;
    // Started before each container or exec start: see runtime/cgroups/primer.h.
    std::unique_ptr<cgroups::MigrationPrimer> primer;
    // The host's cgroup layout, read once at open (unset: no cgroupfs, nothing is made ahead).
    std::optional<cgroups::Mode> cgroupMode;
    cgroups::MountTable cgroupMounts;
    // Deletes removed containers' directories off the request path (reaper.cpp).
    std::unique_ptr<DirReaper> reaper;
    std::atomic<bool> shuttingDown{false};

    mutable std::mutex mu;  // the maps below
    std::map<std::string, std::shared_ptr<Entry>> byId;
    std::map<std::string, std::string> names;  // name -> id
    std::map<std::string, std::shared_ptr<ExecRecord>> execs;
    std::map<std::string, Json> volumes;  // name -> Volume (+ internal "Anonymous")

    // --- helpers (lifecycle.cpp etc.) ---
    Result<std::shared_ptr<Entry>> find(const std::string& idOrName) const;
    Status save(const Container& c);
    void publish(const Container& c, const std::string& action,
                 std::map<std::string, std::string> extra = {});
    std::string containerDir(const std::string& id) const {
        return opts.root + "/containers/" + id;
    }
    std::string monitorDir(const std::string& id) const { return opts.runRoot + "/monitors/" + id; }
    std::string runtimeRoot() const { return opts.runRoot + "/runtime"; }
    runtime::Globals runtimeGlobals() const {
        runtime::Globals g;
        g.root = runtimeRoot();
        return g;
    }
    std::string monitorPath() const;
    std::string initPath() const;

    // Lifecycle pieces (entry locked by the caller).
    Status startLocked(Entry& e, std::unique_lock<std::mutex>& lk);
    Status prepareRootfs(Container& c);
    // The network sandbox, and the rootfs mount unless the directory is about to be reaped.
    void releaseResources(Container& c, bool unmountRootfs = true);
    // linux.cgroupsPath of the container's bundle ("/berth/<id>").
    std::string cgroupsPath(const Container& c) const;
    // Makes the container's cgroup directories, then primes the migration into them
    // (lifecycle.cpp: why in that order). Failures are left for the runtime to report.
    void prepareCgroup(const Container& c);
    // Removes them (a container removed before or after running; ENOENT is fine).
    void dropCgroup(const Container& c);
    void onExit(const std::string& id);
    void scheduleRestart(const std::shared_ptr<Entry>& e, int delayMs);
    Status killLocked(Entry& e, int sig);
    Status stopLocked(Entry& e, std::unique_lock<std::mutex>& lk, int timeout, int sig);
    Status removeLocked(const std::shared_ptr<Entry>& e, std::unique_lock<std::mutex>& lk,
                        bool force, bool removeVolumes);
    void recover();
    void scheduleRestartAfterRecover(const std::shared_ptr<Entry>& e);
    // Health checks (health.cpp): a thread per container with a HEALTHCHECK while it runs.
    void startHealth(Entry& e);
    void stopHealth(Entry& e, std::unique_lock<std::mutex>& lk);

    // Volumes (volumes.cpp).
    Result<Json> ensureVolume(const std::string& name, const Json& labels, bool anonymous);
    void volumeUsers(std::map<std::string, int>& out) const;
};

// The bundle's config.json for a container about to start (oci_spec.cpp).
struct SpecInputs {
    std::string rootfs;     // mounted overlay
    std::string netnsPath;  // "" = host network
    std::string hostsPath, resolvConfPath, hostnamePath;
    std::string initPath;  // berth-init when HostConfig.Init
    std::string cgroupsPath;
    std::vector<Json> extraMounts;  // OCI mounts for volumes and binds
    // "pid"/"ipc"/"uts" -> the init pid of the container a "container:<x>" mode joins
    // (namespace_modes.h: namespaceJoinPids).
    std::map<std::string, int> joinPids;
};
Result<std::string> ociSpec(const Container& c, const SpecInputs& in);
// linux.resources of HostConfig (for docker update; devices left out).
Json ociResources(const Json& hostConfig);
// process.rlimits from HostConfig.Ulimits (exec processes get the container's, as docker's).
Json ociRlimits(const Json& hostConfig);

// create.cpp: request -> record.
Result<Container> buildContainer(const Json& body, const std::string& id, const std::string& name,
                                 const Json& imageConfig, const std::string& imageRef,
                                 const std::string& imageId, std::vector<std::string>& warnings);
Status validateHostConfig(Json& hc, std::vector<std::string>& warnings);

// render.cpp.
Json inspectJson(const Container& c, const Engine::Impl& impl);
Json summaryJson(const Container& c, const Engine::Impl& impl);

Result<int> parseSignalName(const std::string& s);
// 64 random hex characters: container, exec and anonymous volume ids (as docker's).
std::string randomHexId();
// The strings of a JSON array (a lone string as a one-element list; anything else: none).
std::vector<std::string> stringList(const Json& j);
// "10m", "1g", "512k", "100" (bytes) as docker's units.RAMInBytes; 0 when unparsable.
int64_t parseSize(const std::string& s);

}  // namespace berth::engine
