// Manager internals shared by manager*.cpp (not a public header).
//
// One mutex serializes every operation: each one is short (a few netlink round trips, one
// nftables transaction at most), and a single order of record writes and kernel changes is what
// makes crash recovery simple. The DNS thread never takes it: it reads NameDirectory, a snapshot
// with its own lock, rebuilt after each change.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "network/ipam.h"
#include "network/netlink.h"
#include "network/netns_pool.h"
#include "network/network.h"
#include "network/state.h"

namespace berth::net {

class Firewall;
class DnsServer;
class PortAllocator;
class SocketRedirect;

struct NetState {
    NetworkInfo info;         // containers empty: derived from the sandboxes when asked
    bool predefined = false;  // "bridge", "host", "none"
    bool isDefault = false;   // the default bridge network (no DNS, no static IPs)
    std::optional<AddressSpace> v4, v6;
    int mtu = 1500;
    bool icc = true, masquerade = true;
    int bridgeIndex = 0;  // refreshed by ensureBridge()

    bool bridged() const { return info.driver == "bridge"; }
    bool hasDns() const { return bridged() && !isDefault; }
};

struct SandboxState {
    SandboxRecord rec;  // rec.ports: host ports leased (PortAllocator, owner = container id)
    bool inDns = false;
    double setupMs = 0;
};

// Names the embedded DNS answers, per user-defined network.
class NameDirectory {
  public:
    struct Entry {
        std::vector<std::string> names;  // lowercase
        std::string ipv4, ipv6;
    };
    struct Network {
        std::string name;  // lowercase
        std::vector<Entry> entries;
    };
    struct Answer {
        bool found = false;
        std::vector<std::string> ipv4, ipv6;
    };
    void replace(std::map<std::string, Network> byId,
                 std::map<std::string, std::vector<std::string>> netsOf);
    // `name` ("web" or "web.<network>") as asked by `containerId`: only the names of its own
    // networks are visible.
    Answer lookup(const std::string& containerId, const std::string& name) const;
    // "web.<network>" for an address on one of the asker's networks; "" when unknown.
    std::string reverse(const std::string& containerId, const std::string& ip) const;

  private:
    mutable std::mutex mu_;
    std::map<std::string, Network> byId_;
    std::map<std::string, std::vector<std::string>> netsOf_;  // container -> network ids
};

struct Manager::Impl {
    Options opts;
    StateStore store;
    std::vector<Pool> pools;
    Prefix ula48;
    Netlink nl;  // in the daemon's netns

    std::unique_ptr<Firewall> fw;
    std::string lastRuleset;  // what fw holds now ("" = unknown: apply unconditionally)
    std::unique_ptr<PortAllocator> ports;
    std::unique_ptr<SocketRedirect> redirect;  // null: local clients take the nftables path
    std::unique_ptr<DnsServer> dns;
    std::shared_ptr<NameDirectory> names = std::make_shared<NameDirectory>();

    mutable std::mutex mu;
    std::map<std::string, NetState> nets;     // by network id
    std::map<std::string, SandboxState> sbs;  // by container id
    Timings timing;
    // Endpoints whose veth a pool job is deleting (hostIf -> endpoint): their addresses are
    // still held. A request for one of them (a static --ip reused at once) reclaims it.
    std::map<std::string, EndpointRecord> releasing;
    Netlink reaperNl;  // used by pool jobs only (the worker thread)
    // Last: destroyed first, so its worker finishes jobs while the rest is still alive.
    std::unique_ptr<NetnsPool> pool;

    explicit Impl(const Options& o);  // out of line: members of incomplete types
    ~Impl();

    // --- lookups (manager.cpp)
    NetState* findNet(const std::string& idOrName);
    const NetState* findNet(const std::string& idOrName) const;
    Result<NetState*> requireNet(const std::string& idOrName);
    NetworkInfo describe(const NetState& n) const;  // with containers
    SandboxInfo describe(const SandboxState& s) const;

    // --- networks (manager_networks.cpp)
    Result<NetState> buildNetwork(const NetworkSpec& spec, const std::string& id);
    Result<NetState> stateFromRecord(const NetworkInfo& info);
    Status ensureBridge(NetState& n);
    void deleteBridge(const NetState& n);
    Status ensureDefaultNetworks();
    Result<NetworkInfo> createNetworkLocked(const NetworkSpec& spec);
    Status removeNetworkLocked(NetState& n);

    // --- endpoints (manager_endpoint.cpp)
    Result<EndpointRecord> allocateEndpoint(NetState& n, const EndpointSpec& spec,
                                            const SandboxRecord& sb, const std::string& ifname);
    void releaseEndpoint(const EndpointRecord& ep);
    // Veth, addresses, link up: idempotent, so recovery can finish a half-done attach.
    Status attachEndpoint(Netlink& inside, int nsFd, const EndpointRecord& ep, NetState& n);
    void detachEndpoint(const EndpointRecord& ep);
    // Deletes the endpoints' veths and (ownNetns) the netns in the background, then releases
    // their addresses.
    void teardown(std::vector<EndpointRecord> eps, std::string netnsPath);
    // Finishes now the background teardown of endpoints on network `netId` holding `ip` (all of
    // that network's when `ip` is empty); true if there was any.
    bool reclaim(const std::string& netId, const std::string& ip);
    // The default route goes via the first endpoint on a non-internal network.
    const EndpointRecord* gatewayEndpoint(const SandboxRecord& r) const;
    Status applyGateway(Netlink& inside, const SandboxRecord& r);
    std::string nextIfname(const SandboxRecord& r) const;

    // --- sandboxes (manager_sandbox.cpp)
    Result<SandboxInfo> createSandboxLocked(const SandboxSpec& spec);
    Status removeSandboxLocked(const std::string& containerId);
    Result<EndpointInfo> connectLocked(SandboxState& s, const EndpointSpec& spec);
    Status disconnectLocked(SandboxState& s, const std::string& network, bool force);
    Status writeFiles(const SandboxRecord& r, bool onlyMissing);
    std::string hostGateway() const;

    // --- firewall, ports, DNS (manager_services.cpp)
    Status openServices();
    Status syncFirewall();
    Status reservePorts(SandboxState& s);    // fills rec.ports from rec.spec.ports
    Status rereservePorts(SandboxState& s);  // after a restart: the recorded host ports
    void releasePorts(const std::string& containerId);
    void syncNames();
    Status addToDns(SandboxState& s);
    void removeFromDns(SandboxState& s);

    // --- restore (manager_restore.cpp)
    Status restore();
    Status restoreSandbox(SandboxState& s);
    void dropSandboxLeftovers(const SandboxRecord& r);
    void removeOrphans();
};

// Random lowercase hex of n characters.
std::string randomHex(size_t n);

}  // namespace berth::net
