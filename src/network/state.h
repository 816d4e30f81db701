// The manager's records on disk, under Options::stateDir:
//   networks/<id>.json                 a network (fsync'd: networks outlive reboots)
//   sandboxes/<containerId>/sandbox.json  a sandbox with its endpoints, addresses and ports
//   sandboxes/<containerId>/{hosts,resolv.conf,hostname}
//   ula                                 the IPv6 ULA /48 this host's networks are carved from
// A record is written before the kernel is configured, so whatever a crash leaves in the kernel
// is either described by a record (open() completes it) or an orphan (open() removes it).
// Sandbox records are renamed into place without fsync: a kill -9 keeps the page cache, and a
// power loss takes every netns with it, so there is nothing to recover then.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "network/network.h"

namespace berth::net {

struct NetworkRecord {
    NetworkInfo info;  // containers always empty (derived from sandbox records)
};

struct EndpointRecord {
    EndpointInfo info;
    std::string hostIf;  // the host side of the veth pair
};

struct SandboxRecord {
    SandboxSpec spec;
    std::string kind;        // "bridge" (endpoints on networks), "none", "host", "container"
    std::string sharedWith;  // kind "container": the sandbox whose netns is used
    std::string netnsPath;
    std::vector<EndpointRecord> endpoints;
    std::vector<PortBinding> ports;  // resolved host ports
    std::string hostsPath, resolvConfPath, hostnamePath;
};

class StateStore {
public:
    explicit StateStore(std::string dir) : dir_(std::move(dir)) {}

    Status init();  // creates the directories

    std::string sandboxDir(const std::string& containerId) const;

    Status saveNetwork(const NetworkRecord& r);
    Status removeNetwork(const std::string& id);
    // Every readable record; unreadable ones are reported in `bad` (path: error).
    std::vector<NetworkRecord> loadNetworks(std::vector<std::string>& bad) const;

    Status saveSandbox(const SandboxRecord& r);
    // Removes the record first (the commit point), then the directory with its files.
    Status removeSandbox(const std::string& containerId);
    std::vector<SandboxRecord> loadSandboxes(std::vector<std::string>& bad) const;
    // Directories under sandboxes/ (records or leftovers of a crash).
    std::vector<std::string> sandboxDirs() const;

    Result<std::string> readUla() const;  // ENOENT when not yet chosen
    Status writeUla(const std::string& prefix);

private:
    std::string dir_;
};

// JSON text of records (exposed for unit tests).
std::string encodeNetwork(const NetworkRecord& r);
Result<NetworkRecord> decodeNetwork(std::string_view text);
std::string encodeSandbox(const SandboxRecord& r);
Result<SandboxRecord> decodeSandbox(std::string_view text);

// Ids the state layout can hold as file names: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}.
bool validId(std::string_view id);

}  // namespace berth::net
