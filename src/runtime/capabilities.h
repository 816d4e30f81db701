// Capabilities (all five sets), through libcap.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/spec.h"

namespace berth::caps {

// Validates names ("CAP_SYS_ADMIN", uppercase as runc): a name nobody knows is an error naming
// it; one the running kernel does not know (> cap_last_cap) is a warning and skipped, as runc.
Status validate(const spec::Capabilities& c);
// Drops the bounding set to `c.bounding` and sets PR_SET_KEEPCAPS so the permitted set survives
// the setuid that follows (call before changing uid).
Status applyBounding(const spec::Capabilities& c);
// After setuid/setgid: effective, permitted, inheritable, then ambient (cleared, then raised;
// an ambient cap must also be permitted and inheritable). Clears PR_SET_KEEPCAPS.
Status applyFinal(const spec::Capabilities& c);
// Every capability this kernel knows ("CAP_CHOWN", ...), for `features` and `spec`.
std::vector<std::string> allKnown();

}  // namespace berth::caps
