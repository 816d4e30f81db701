// User and group names resolved through a container's /etc/passwd and /etc/group (read inside
// the rootfs, symlinks contained), with runc's rules for `USER` and docker's for `--chown`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::image::build {

struct ExecUser {
    uint32_t uid = 0, gid = 0;
    std::vector<uint32_t> additionalGids;
    std::string home = "/";
};

// "user", "uid", "user:group", "uid:gid" (mixed too). A numeric user missing from passwd is
// used as is (gid 0); a name must exist. Supplementary groups come from /etc/group only when
// no group is given. `rootFd`: an open directory of the container's root.
Result<ExecUser> resolveUser(int rootFd, const std::string& spec);

// The user of a container's process as docker makes it (moby's getUser over runc's
// GetExecUser), for `run`, `exec` and build steps alike: resolveUser's, with the primary gid
// first among the supplementary groups, then groupAdd (--group-add: a group name or a gid
// from /etc/group, else any numeric id; duplicates dropped). An unknown name is EINVAL
// "Unable to find group x: no matching entries in group file".
Result<ExecUser> processUser(int rootFd, const std::string& spec,
                             const std::vector<std::string>& groupAdd = {});

// COPY/ADD --chown=user[:group]: names through passwd/group; a user without a group uses the
// user's numeric id as the gid, as docker does.
Result<std::pair<uint32_t, uint32_t>> resolveChown(int rootFd, const std::string& spec);

// Parses passwd/group text (exposed for tests).
struct PasswdEntry {
    std::string name;
    uint32_t uid = 0, gid = 0;
    std::string home;
};
struct GroupEntry {
    std::string name;
    uint32_t gid = 0;
    std::vector<std::string> members;
};
std::vector<PasswdEntry> parsePasswd(std::string_view text);
std::vector<GroupEntry> parseGroup(std::string_view text);
Result<ExecUser> resolveUserIn(const std::vector<PasswdEntry>& pw,
                               const std::vector<GroupEntry>& gr, const std::string& spec);
Result<ExecUser> processUserIn(const std::vector<PasswdEntry>& pw,
                               const std::vector<GroupEntry>& gr, const std::string& spec,
                               const std::vector<std::string>& groupAdd);

}  // namespace berth::image::build
