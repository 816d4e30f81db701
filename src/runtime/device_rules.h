// Device cgroup rules the container always needs: the config's own rules, then allow rules for
// the default devices (/dev/null, zero, full, random, urandom, tty, console, ptmx, pts/*, tun)
// and every linux.devices entry, and mknod of anything (access is still governed by the rest).
#pragma once

#include "runtime/spec.h"

namespace berth::runtime {

void addDefaultDeviceRules(const spec::Spec& s, spec::Resources& r);

}  // namespace berth::runtime
