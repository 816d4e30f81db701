// Running one process in a container through the runtime library, in-process: writes an OCI
// bundle (docker's defaults: capabilities, mounts, masked paths) and calls runtime::run in a
// forked child, so that the runtime's supervisor (signal mask, subreaper, waitpid(-1)) never
// touches the caller, and so that the child's stdio can be a pipe the caller reads.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "image/build/users.h"
#include "runtime/container.h"

namespace berth::image::build {

struct ContainerSpec {
    std::string id;         // runtime id (unique)
    std::string rootfs;     // absolute path of the mounted root
    std::string bundleDir;  // existing dir; config.json is written there
    std::string hostname;
    std::string cgroupsPath;   // "/berth-build/<id>"
    bool hostNetwork = false;  // false: a fresh, empty network namespace
    bool terminal = false;
    std::vector<std::string> args, env;
    std::string cwd = "/";
    ExecUser user;
};

std::string ociConfigJson(const ContainerSpec& s);

// Output of the container (stdout and stderr merged), in chunks as they come.
using OutputFn = std::function<void(std::string_view)>;

// Runs the container to completion and removes it; returns its exit code (128+signal when
// killed). With `output` the container's stdout/stderr go there (stdin is /dev/null); without,
// it inherits the caller's stdio. SIGINT/SIGTERM/SIGHUP/SIGQUIT received meanwhile are
// forwarded to the container.
Result<int> runToCompletion(const runtime::Globals& g, const ContainerSpec& s,
                            const OutputFn* output);

// 64 random hex chars (container ids, as docker's).
std::string randomId();

}  // namespace berth::image::build
