// The files a container's /etc gets from the network layer: hosts, resolv.conf, hostname.
// Rendering is pure (unit-tested); writing keeps the inode when the file exists, because the
// engine bind-mounts these files into the container and a rename would leave it the old one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::net {

struct HostsEntry {
    std::string ip;
    std::vector<std::string> names;
};

// --add-host "name:ip" (also "name=ip", "[v6]"); "host-gateway" is replaced by `hostGateway`.
Result<std::vector<HostsEntry>> parseExtraHosts(const std::vector<std::string>& specs,
                                                const std::string& hostGateway);

// localhost lines, then the extra hosts, then the container's own addresses.
std::string renderHosts(const std::vector<HostsEntry>& extra, const std::vector<HostsEntry>& own);

struct ResolvConf {
    std::vector<std::string> nameservers, search, options;
};
ResolvConf parseResolvConf(std::string_view text);
std::string renderResolvConf(const ResolvConf& rc, std::string_view comment = "");

// What a container gets. embedded: "nameserver 127.0.0.11" + ndots:0 (user-defined networks;
// the DNS server forwards to `dns` or the host's servers). Otherwise the host's servers minus
// loopback ones (unreachable from another netns), or docker's public defaults when none is left;
// `dns`/`dnsSearch`/`dnsOptions` replace the host's values when given.
ResolvConf containerResolvConf(const ResolvConf& host, const std::vector<std::string>& dns,
                               const std::vector<std::string>& dnsSearch,
                               const std::vector<std::string>& dnsOptions, bool embedded);

bool isLoopbackAddress(std::string_view ip);

// Writes `data` to `path`: in place (truncate + write, same inode) when it exists, else through
// a temp file and rename. No fsync: these files only matter while the sandbox's netns exists,
// which a power loss ends anyway.
Status writeSandboxFile(const std::string& path, std::string_view data);

// temp file + rename without fsync (records that die with the boot, like sandbox records).
Status writeFileRenamed(const std::string& path, std::string_view data);

}  // namespace berth::net
