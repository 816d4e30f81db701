// Runs a command in a container made from an image, in the foreground (`berth-image run`):
// overlay rootfs of the image's layers plus a throwaway upper dir, the process from the image
// config (Entrypoint + Cmd, Env, WorkingDir, User through /etc/passwd) with overrides, stdio
// inherited. The container, its mount and its directory are removed afterwards, also on
// failure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/service.h"

namespace berth::image::build {

struct RunOptions {
    std::string image;                                   // reference or (short) ID
    std::vector<std::string> cmd;                        // replaces the image's Cmd when not empty
    std::optional<std::vector<std::string>> entrypoint;  // replaces the image's Entrypoint
    std::vector<std::string> env;  // "K=V" (or "K": taken from our environment)
    std::string workdir;           // replaces WorkingDir
    std::string user;              // replaces User
    std::string id;                // container id; empty: random
    bool tty = false;              // a pty (proxied to our stdio)
    std::string network = "none";  // "none" (an empty namespace) or "host"
    std::string cgroupParent = "berth-image";
};

// Returns the container's exit code (128+signal when killed). On an error, *failCode (when
// given) gets docker's exit code for it: 125 the container could not be made or started, 126
// its command cannot be executed, 127 it was not found.
Result<int> runImage(Service& svc, const RunOptions& o, int* failCode = nullptr);

}  // namespace berth::image::build
