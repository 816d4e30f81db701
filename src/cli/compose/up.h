// The convergence engine of `compose up`/`create`/`start`/`restart`: the project's networks and
// volumes, each service's containers brought to the model (created, recreated when their config
// hash or image changed, scaled up or down, started) in dependency order with the depends_on
// conditions waited for, and everything this run created removed again when it fails.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/compose/images.h"
#include "cli/compose/session.h"

namespace berth::cli::compose {

struct UpOptions {
    std::vector<std::string> services;  // named on the command line; empty = all
    bool noDeps = false;
    bool forceRecreate = false, noRecreate = false;
    bool noStart = false;
    bool removeOrphans = false;
    std::map<std::string, int> scale;  // --scale svc=N
    std::optional<int> timeout;        // -t for stops during recreation
    EnsureOptions images;
    bool wait = false;
    int waitTimeoutSec = 0;  // 0: none
};

struct UpResult {
    std::vector<std::string> services;  // the services brought up, in start order
    // The containers now meant to run, per service in start order (for logs and waits).
    std::vector<Ctr> containers;
};

// Converges the project; on failure removes what this run created (containers, networks,
// volumes) and returns the error.
Result<UpResult> converge(Ctx& ctx, const model::Project& p, const UpOptions& o);

// For `compose run`: the service's dependencies brought up (unless o.noDeps), its own networks
// and volumes created, its depends_on conditions waited for and its image made sure of; returns
// the image ID.
Result<std::string> prepareOneoff(Ctx& ctx, const model::Project& p, const std::string& svc,
                                  const UpOptions& o);

// Waits until every container is running, and healthy when it has a healthcheck (a container
// that exits is a failure, unless it exited 0 and a service waits for its completion).
// ev: the project's events to wait on between looks (null: poll).
Status waitReady(Ctx& ctx, const model::Project& p, const std::vector<Ctr>& containers,
                 int timeoutSec, ProjectEvents* ev = nullptr);

}  // namespace berth::cli::compose
