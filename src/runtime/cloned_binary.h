// CVE-2019-5736 defence: any runtime process that enters a container runs from a sealed memfd
// copy of the binary, so a container that opens /proc/<pid>/exe can neither write to the host
// binary nor to the copy (F_SEAL_WRITE and friends).
#pragma once

#include "common/result.h"

namespace berth::cloned {

// True when /proc/self/exe is already a sealed memfd.
bool isCloned();
// Re-executes the current command line from a sealed memfd copy when not already cloned.
// Returns only on error (or when already cloned).
Status ensureCloned(char** argv, char** envp);

}  // namespace berth::cloned
