// A cache of compiled seccomp programs under the runtime's state root (<root>/@seccomp-cache;
// "@" is never part of a container id): compiling docker's
// default profile with libseccomp costs ~25 ms, installing it microseconds. crun does the same.
//
// An entry holds the profile's canonical text next to the program; a hit must match the text
// exactly, so a hash collision can never hand out the wrong filter. Entries are written with
// temp+rename (readers never see half an entry) in a root-only directory.
#pragma once

#include <string>

#include "common/result.h"
#include "runtime/seccomp.h"

namespace berth::seccomp {

// Deterministic text of everything that shapes the compiled program.
std::string canonical(const spec::Seccomp& s);

// compile(), served from <cacheDir> when an identical profile was compiled before.
Result<Program> compileCached(const spec::Seccomp& s, const std::string& cacheDir);

}  // namespace berth::seccomp
