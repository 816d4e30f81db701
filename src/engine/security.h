// Container security settings the docker way: capabilities (CapAdd/CapDrop/Privileged),
// seccomp profiles (docker's default and docker-format custom ones), --security-opt, and
// --device mappings. Everything here builds pieces of the OCI config; nothing is applied.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::engine {

// docker's default capability set ("CAP_CHOWN", ...; moby oci/caps/defaults.go).
const std::vector<std::string>& defaultCapabilities();
// Every capability the running kernel knows (cap_last_cap), "CAP_" names.
const std::vector<std::string>& allCapabilities();

// The container's capability list with docker's rules: names with or without "CAP_", any
// case, and "ALL". privileged: all capabilities. Add ALL: all but the dropped ones. Drop ALL:
// exactly the added ones. Otherwise the defaults minus drops plus adds. An unknown name is
// EINVAL `unknown capability: "CAP_FOO"`.
Result<std::vector<std::string>> capabilities(const std::vector<std::string>& add,
                                              const std::vector<std::string>& drop,
                                              bool privileged);

// The OCI `linux.seccomp` object as JSON text for a container whose bounding set is `caps`.
// opt: "" or "builtin" (docker's default profile), "unconfined" (nullopt: no filter), or the
// content of a docker-format profile (what the docker CLI sends as `seccomp=<file content>`).
// includes/excludes (caps, arches, minKernel) and archMap are resolved for this host.
// A privileged container gets no filter from docker: the caller does not call this then.
Result<std::optional<std::string>> seccompProfile(const std::string& opt,
                                                  const std::vector<std::string>& caps);
// docker's default profile (moby profiles/seccomp/default.json), as docker-format JSON.
std::string_view defaultSeccompProfileJson();

// HostConfig.SecurityOpt, parsed.
struct SecurityOpts {
    std::optional<bool> noNewPrivileges;  // unset: the daemon's default (false)
    // Raw value of seccomp=...: "" when not given, "unconfined", "builtin" or profile JSON.
    std::string seccomp;
    std::string apparmor;                 // accepted, not applied (no AppArmor here)
    std::vector<std::string> labels;      // label=... / "disable": accepted, not applied
    bool systemPathsUnconfined = false;   // systempaths=unconfined: no masked/readonly paths
    std::optional<bool> writableCgroups;  // writable-cgroups=true|false (docker 28)
    // What was accepted but has no effect here, for the create response's Warnings.
    std::vector<std::string> warnings;
};
// docker's parser: "no-new-privileges[=|:true|false]", "seccomp=", "apparmor=", "label=",
// "disable", "systempaths=unconfined", "writable-cgroups=". Anything else is EINVAL with
// docker's message (`invalid --security-opt 1: "x"` without a value, `... 2: "k=v"` for an
// unknown key or bad value).
Status parseSecurityOpts(const std::vector<std::string>& opts, SecurityOpts& out);

// --device host[:container[:perms]]: {"devices": [OCI linux.devices entries], "rules": [OCI
// linux.resources.devices allow rules]}. The host path is stat'ed (a symlink is followed);
// a directory maps every device node below it, as docker does. perms: a non-empty subset of
// "rwm" ("" means "rwm"); pathInContainer "" means pathOnHost.
Result<nlohmann::json> deviceMapping(const std::string& pathOnHost,
                                     const std::string& pathInContainer, const std::string& perms);

}  // namespace berth::engine
