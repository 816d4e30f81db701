// Namespace kinds: config names <-> CLONE_* flags <-> /proc/<pid>/ns names, and opening
// namespace files to join (checked to be the kind they claim).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

namespace berth::ns {

struct Kind {
    const char* type;     // config.json name: "network"
    int flag;             // CLONE_NEWNET
    const char* procName; // /proc/<pid>/ns/net
};

// All kinds, in the order they are joined: user first (it grants the rights for the rest), mount
// last but one, then pid/time (they take effect for children only).
const std::vector<Kind>& kinds();
const Kind* find(const std::string& type);

// A namespace to join: its kind and an open fd.
struct Join {
    const Kind* kind;
    UniqueFd fd;
};

// Opens every `path` namespace of the config, checking with NS_GET_NSTYPE that each file is a
// namespace of the right kind ("linux.namespaces: /proc/1/ns/net is not a pid namespace").
Result<std::vector<Join>> openPaths(const std::vector<spec::Namespace>& nss);
// Opens /proc/<pid>/ns/<kind> for each kind in `types` (exec joins the container's namespaces).
Result<std::vector<Join>> openOfPid(pid_t pid, const std::vector<std::string>& types);
// CLONE_NEW* flags of the namespaces to create (those without a path), user excluded.
int newFlags(const std::vector<spec::Namespace>& nss);

// setns() each, in kinds() order.
Status joinAll(std::vector<Join>& joins);

}  // namespace berth::ns
