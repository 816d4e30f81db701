// What `berth version` and `berth info` say about the client itself.
#pragma once

#include <string>

namespace berth::cli {

// Where docker says "go1.24.3": the language and the compiler berth was built with.
std::string sysToolchain();
// The build time as Go's time.ANSIC ("Fri May 30 12:07:14 2025"), from __DATE__/__TIME__.
std::string sysBuildTime();
// "amd64", "arm64"... (Go's GOARCH names).
std::string sysGoArch();

}  // namespace berth::cli
