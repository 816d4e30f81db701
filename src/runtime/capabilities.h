// Capabilities (all five sets), through libcap.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/spec.h"

namespace berth::caps {

// Validates names ("CAP_SYS_ADMIN"); unknown ones to this kernel are an error naming the cap.
Status validate(const spec::Capabilities& c);
// Drops the bounding set to `c.bounding`, keeping what is needed until setuid (call before
// changing uid, with PR_SET_KEEPCAPS).
Status applyBounding(const spec::Capabilities& c);
// After setuid/setgid: effective, permitted, inheritable, then ambient.
Status applyFinal(const spec::Capabilities& c);
// Every capability this kernel knows ("CAP_CHOWN", ...), for `features` and `spec`.
std::vector<std::string> allKnown();

}  // namespace berth::caps
