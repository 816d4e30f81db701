// HostConfig.PidMode, IpcMode and UTSMode: "" (a namespace of the container's own), "host"
// (the host's: no namespace entry), "container:<id|name>" (another running container's:
// joined through /proc/<its init>/ns/<type>); IpcMode also "private", "shareable", "none".
#pragma once

#include <map>
#include <string>

#include "engine/internal.h"

namespace berth::engine {

// At create: docker's checks and messages ("invalid PID mode: bogus").
Status validateNamespaceModes(const Json& hostConfig);

// At start: for each "container:<x>" mode of c, the type ("pid", "ipc", "uts") -> the pid of
// x's init. x must exist and run (docker: "cannot join PID of a non running container: x");
// for ipc it must also be shareable (IpcMode shareable or host, or itself joining another).
// Only reads x's record, under its lock (never c's own: a container cannot join itself).
Result<std::map<std::string, int>> namespaceJoinPids(Engine::Impl& impl, const Container& c);

// The modes' parts of the OCI config: linux.namespaces entries for pid, ipc and uts (appended
// to ns), and whether berth may set the hostname (only in a uts namespace of its own).
// joinPids: namespaceJoinPids(); a "container:" mode missing from it is an error, never a
// silently private namespace.
Status appendNamespaceEntries(const Json& hostConfig, const std::map<std::string, int>& joinPids,
                              Json& ns);
bool ownsUtsNamespace(const Json& hostConfig);

}  // namespace berth::engine
