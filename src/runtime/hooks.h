// OCI hooks: each is exec'd with the container state JSON on stdin, its own env, and an
// optional timeout. Output is captured and shown when the hook fails.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/spec.h"

namespace berth::hooks {

// Runs `list` in order; stops at the first failure: "prestart hook #1 (/usr/bin/x): exit
// status 2: <stderr>". `kind` names the hook kind in errors.
Status run(const std::vector<spec::Hook>& list, const std::string& stateJson,
           const char* kind);
// poststart/poststop: the spec says a failing hook is a warning and the rest still run.
void runWarn(const std::vector<spec::Hook>& list, const std::string& stateJson, const char* kind);

}  // namespace berth::hooks
