// The prune verbs' shared parts (container, network, volume and system prune): docker's y/N
// confirmation and the per-kind prune calls with their "Deleted ...:" reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/verbs/util.h"

namespace berth::cli {

// Prints `message` and docker's "Are you sure you want to continue? [y/N] ", reads one line
// from stdin: true for "y"/"Y".
bool sysConfirm(Ctx& ctx, std::string_view message);

struct SysPruneReport {
    std::string output;      // "Deleted Containers:\n<id>\n..." or "" when nothing went
    uint64_t reclaimed = 0;  // bytes
};

// POST /<kind>/prune with the filters (docker's `--filter k=v` flags) and extra filter pairs;
// kind is "containers", "networks", "volumes", "images" or "build".
Result<SysPruneReport> sysPrune(Ctx& ctx, std::string_view kind,
                                const std::vector<std::string>& filters);

// The "  Items to be pruned will be filtered with:" block of the warnings ("" for no filter).
std::string sysFilterNote(const std::vector<std::string>& filters);

}  // namespace berth::cli
