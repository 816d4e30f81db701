// Device cgroup rules the container always needs: the config's own rules, then allow rules for
// the default devices (/dev/null, zero, full, random, urandom, tty, console, ptmx, pts/*, tun)
// and mknod of anything (access is still governed by the rest). linux.devices entries are
// governed by linux.resources.devices alone, as in runc.
#pragma once

#include "runtime/spec.h"

namespace berth::runtime {

void addDefaultDeviceRules(const spec::Spec& s, spec::Resources& r);

}  // namespace berth::runtime
