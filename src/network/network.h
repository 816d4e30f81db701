// Berth's network layer: bridge networks with IPAM, per-container sandboxes (a netns bind-mounted
// by path, veths into the bridges, addresses, routes, /etc/hosts, resolv.conf, hostname),
// published ports, the nftables ruleset and the embedded DNS, all behind one thread-safe Manager.
//
// Field names follow the Docker Engine API (Network, IPAM, EndpointSettings, PortBinding) so the
// daemon serves them 1:1. Every change is recorded under Options::stateDir before the kernel is
// configured, so a restart (or a kill -9) of the process holding the Manager loses nothing:
// open() restores networks, rules and assignments and removes what no record explains.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::net {

// One IPAM entry of a network; all three are strings as in the API ("172.20.0.0/16").
struct IpamConfig {
    std::string subnet, ipRange, gateway;
};

struct NetworkSpec {
    std::string name;
    std::string driver = "bridge";  // only "bridge" can be created
    std::vector<IpamConfig> ipam;   // at most one IPv4 and one IPv6 entry; empty = from the pools
    bool internal = false, enableIPv6 = false, attachable = false;
    // com.docker.network.bridge.name / .enable_icc / .enable_ip_masquerade / .host_binding_ipv4,
    // com.docker.network.driver.mtu are understood; the rest is kept and reported.
    std::map<std::string, std::string> options, labels;
};

// A container's attachment to one network.
struct EndpointInfo {
    std::string networkId, networkName, endpointId;
    std::string containerName;
    std::string ipv4;  // "172.17.0.2" (no prefix)
    int prefixLen = 0;
    std::string gateway;
    std::string ipv6, ipv6Gateway;
    int ipv6PrefixLen = 0;
    std::string mac, ifname;         // ifname inside the sandbox ("eth0")
    std::string ipamIpv4, ipamIpv6;  // the addresses the user asked for (EndpointIPAMConfig)
    std::vector<std::string> aliases, dnsNames;
};

struct NetworkInfo {
    std::string id, name, driver, created /* RFC 3339 nano */, bridge, scope = "local";
    std::vector<IpamConfig> ipam;  // as resolved: subnet and gateway always set
    bool internal = false, enableIPv6 = false, attachable = false;
    std::map<std::string, std::string> options, labels;
    std::map<std::string, EndpointInfo> containers;  // containerId -> endpoint
};

struct PortBinding {
    std::string proto = "tcp";  // tcp, udp, sctp
    uint16_t containerPort = 0;
    std::string hostIp;        // "" = all addresses
    uint16_t hostPort = 0;     // 0 = a random free port
    uint16_t hostPortEnd = 0;  // >hostPort: any free port of hostPort..hostPortEnd
};

struct EndpointSpec {
    std::string network;  // name, id or unique id prefix
    std::vector<std::string> aliases;
    std::string ipv4, ipv6, mac;  // static values; empty = allocated
};

struct SandboxSpec {
    std::string containerId, containerName, hostname, domainname;
    // "bridge" (or "default") / a network name: that network is the primary endpoint;
    // "none": a netns with only lo; "host": the daemon's netns; "container:<id>": another
    // sandbox's netns and files.
    std::string mode = "bridge";
    std::vector<EndpointSpec> endpoints;  // further networks; the mode's network comes first
    std::vector<PortBinding> ports;
    std::vector<std::string> extraHosts;  // "name:ip" ("host-gateway" = the default gateway)
    std::vector<std::string> dns, dnsSearch, dnsOptions;
};

struct SandboxInfo {
    std::string containerId, mode;
    std::string netnsPath;  // empty for host mode
    std::vector<EndpointInfo> endpoints;
    std::vector<PortBinding> ports;  // resolved: hostPort is the port in use, hostPortEnd 0
    std::string hostsPath, resolvConfPath, hostnamePath;
    double setupMs = 0;  // time createSandbox() took (measured inside the manager)
};

struct Options {
    std::string stateDir = "/var/lib/berth/network";  // records (networks, sandboxes, files)
    std::string runDir = "/run/berth";                // netns/<containerId> bind mounts
    // "base/prefix/size": user networks get a /size from base/prefix. Empty = docker's defaults.
    std::vector<std::string> defaultPools;
    std::string defaultSubnet = "172.17.0.0/16";  // the default bridge network ("bridge")
    std::string defaultBridge = "berth0";
    bool defaultIPv6 = false;  // give the default bridge a ULA subnet too
    int mtu = 1500;
    std::string resolvConf = "/etc/resolv.conf";  // the host's, for upstreams and copies
    std::string hostsFile = "/etc/hosts";         // copied for host-mode sandboxes
    bool firewall = true;  // nftables ruleset (off: nothing is published or isolated)
    bool dns = true;       // embedded DNS on user-defined networks
    // Network namespaces made ahead by a background thread (creating one is the slowest step
    // of a sandbox's setup); 0 = made on demand.
    int prepareNetns = 2;
    // cgroup2 directory (the hierarchy's root) to attach the socket redirect of published TCP
    // ports to (sock_redirect.h): local clients then skip the per-packet NAT. "" = off.
    std::string socketRedirectCgroup;
};

// Timing of the last sandbox setup/teardown, for benchmarks.
struct Timings {
    double lastSetupMs = 0, lastTeardownMs = 0;
};

class Manager {
  public:
    // Creates the default networks on first use; later restores every network (bridge,
    // addresses), sandbox and rule from the records and removes orphans (veths, bridges, netns
    // files) no record explains. Sandboxes whose netns is gone (reboot) are dropped.
    static Result<std::unique_ptr<Manager>> open(const Options& o);
    ~Manager();
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    Result<NetworkInfo> createNetwork(const NetworkSpec& spec);
    // Refuses predefined networks and networks with endpoints.
    Status removeNetwork(const std::string& idOrName);
    Result<NetworkInfo> get(const std::string& idOrName) const;
    std::vector<NetworkInfo> list() const;
    // Removes the user-defined networks without endpoints that `filter` accepts (all when empty);
    // returns their names.
    Result<std::vector<std::string>> prune(
        const std::function<bool(const NetworkInfo&)>& filter = {});

    Result<SandboxInfo> createSandbox(const SandboxSpec& spec);
    Result<SandboxInfo> sandbox(const std::string& containerId) const;
    std::vector<SandboxInfo> sandboxes() const;
    // Attach a running sandbox to one more network / detach it (force: also when the endpoint
    // is half gone).
    Result<EndpointInfo> connect(const std::string& containerId, const EndpointSpec& spec);
    Status disconnect(const std::string& containerId, const std::string& network, bool force);
    // A renamed container answers to its new name in the embedded DNS (and no longer to the
    // old one). A container without a sandbox (not running) has nothing to change.
    Status renameContainer(const std::string& containerId, const std::string& newName);
    // Idempotent: an unknown id is fine. Returns once the sandbox is gone from the records, the
    // rules and the DNS; its veths and netns are deleted in the background (see settle()).
    Status removeSandbox(const std::string& containerId);
    // Removes the sandboxes of containers not in `liveContainers` (the engine's view after a
    // restart).
    Status recover(const std::set<std::string>& liveContainers);
    // removeRules: delete Berth's nftables tables (a stopping daemon that is asked to leave
    // nothing behind). Sandboxes and bridges stay for the next open().
    void shutdown(bool removeRules);

    Timings timings() const;
    // Waits for the background work removeSandbox()/disconnect() leave (deleting veths and
    // netns mounts takes the kernel tens of ms; callers need not wait for it, tests do).
    void settle();

    struct Impl;

  private:
    explicit Manager(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::net
