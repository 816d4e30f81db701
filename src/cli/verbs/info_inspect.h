// docker's inspect machinery shared by `inspect`, `container inspect` and `image inspect`:
// fetch each object's raw JSON, print them as one indented JSON array (the daemon's bytes,
// re-indented) or a Go template per object; unknown names are reported after the output.
#pragma once

#include <string>
#include <vector>

#include "cli/ctx.h"
#include "common/result.h"

namespace berth::cli {

struct InfoInspectOptions {
    std::string kind;    // "container", "image", "network", "volume"; "" = try each in turn
    std::string format;  // -f: "", "json" or a Go template
    bool size = false;   // containers: SizeRw / SizeRootFs
};

// Runs the inspection and returns the exit code (1 when any object failed, 64 for a template
// that does not parse), as docker's.
Result<int> infoInspect(Ctx& ctx, const std::vector<std::string>& names,
                        const InfoInspectOptions& opts);

}  // namespace berth::cli
