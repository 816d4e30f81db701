// Crash points for tests: berthd started with BERTH_FAILPOINT=<name> dies at once (as under
// kill -9, without unwinding) when it reaches failpoint("<name>"). The crash-consistency tests
// (tests/daemon/test_crash.py) stop it at each step of create, start and remove, restart it and
// check that nothing is inconsistent or left behind. Without the variable a failpoint is one
// comparison with an empty string.
#pragma once

#include <string_view>

namespace berth {

void failpoint(std::string_view name);

}  // namespace berth
