// Berth's packet filter and NAT: nftables rules in tables of Berth's own ("table ip berth",
// "table ip6 berth"), applied through libnftables. No other table is read or changed.
//
// The caller (the network Manager) computes the whole desired state; apply() replaces the content
// of Berth's tables with it in one nftables transaction, so the kernel never holds a half-written
// ruleset and a failed apply leaves the previous one in place. Restoring after a daemon restart is
// apply() of the persisted state; removeAll() deletes Berth's tables.
//
// What the rules do (per address family):
//   - outbound masquerade for each non-internal network (container -> anywhere but its bridge);
//   - isolation: traffic forwarded into a Berth bridge is dropped unless it is a reply, was
//     DNAT'ed (a published port or service VIP) or stays on that bridge; so network A cannot reach
//     network B and the outside cannot reach container addresses directly;
//   - internal networks: nothing is forwarded into or out of their bridge;
//   - published ports: DNAT of packets to a local address in prerouting (from outside, source
//     address preserved) and output (from the host itself, also over 127.0.0.1: needs
//     route_localnet=1 on the bridge plus masquerade of 127.0.0.0/8 sources towards it; local
//     TCP/IPv4 clients are normally redirected at connect() before that, sock_redirect.h);
//   - hairpin: DNAT'ed traffic that leaves by the bridge it came from is masqueraded, so a
//     container reaches its own published port and its neighbours' ones (the veth's bridge port
//     needs hairpin mode: with br_netfilter on, such packets are bridged straight back);
//   - service VIPs (for the orchestrator): a vmap from VIP.proto.port to a chain that DNATs to a
//     backend picked by numgen.
//
// Not done here: icc=false (inter-container traffic on one bridge is switched, not routed; use
// bridge port isolation, IFLA_BRPORT_ISOLATED, on the veths). Not possible: reaching an IPv6
// published port at ::1 (the kernel never routes ::1 off the host; the host's own IPv6
// addresses work).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::net {

struct FwNetwork {
    std::string bridge;                 // "berth0", "br-1a2b3c4d5e6f"
    std::vector<std::string> subnets4;  // "172.18.0.0/16"
    std::vector<std::string> subnets6;  // "fd12:3456::/64"
    bool internal = false;              // no traffic into or out of the bridge
    bool masquerade = true;             // com.docker.network.bridge.enable_ip_masquerade

    bool operator==(const FwNetwork&) const = default;
};

// One published port, already resolved to a single host port. The family (and so the table) is
// the container address's; a binding published on both families is two FwPorts.
struct FwPort {
    std::string proto = "tcp";  // tcp, udp, sctp
    std::string hostIp;         // "", "0.0.0.0" or "::": every local address of the family
    uint16_t hostPort = 0;
    std::string containerIp;
    uint16_t containerPort = 0;
    std::string bridge;  // the bridge the container is reached through

    bool operator==(const FwPort&) const = default;
};

struct FwBackend {
    std::string ip;
    uint16_t port = 0;

    bool operator==(const FwBackend&) const = default;
};

// A virtual IP:port load-balanced over backends (random pick per new connection).
struct FwService {
    std::string vip;
    std::string proto = "tcp";
    uint16_t port = 0;
    std::vector<FwBackend> backends;  // empty: the VIP is dropped (no backend)

    bool operator==(const FwService&) const = default;
};

struct FirewallState {
    std::vector<FwNetwork> networks;
    std::vector<FwPort> ports;
    std::vector<FwService> services;

    bool operator==(const FirewallState&) const = default;
};

struct FirewallOptions {
    std::string table = "berth";  // tests use their own name
    // Write net.ipv4.ip_forward=1 (and IPv6 forwarding when an IPv6 network is not internal)
    // and net.ipv4.conf.<bridge>.route_localnet=1 in the caller's netns on apply().
    bool manageSysctls = true;
};

// The nft script apply() runs: pure, for tests and for `berth-net` debugging. Rejects malformed
// input (bad addresses, bridge names nft could misread) instead of producing a broken script.
Result<std::string> renderRuleset(const FirewallState& s, const std::string& table = "berth");
// The script apply() runs instead when only the published ports changed since its last apply:
// it empties and refills the port maps (one transaction, ~10x cheaper than a full replace).
Result<std::string> renderPortUpdate(const FirewallState& s, const std::string& table = "berth");
// The script removeAll() runs (idempotent: missing tables are fine).
std::string renderRemoval(const std::string& table = "berth");

class Firewall {
  public:
    // Fails with a clear message when nftables is not usable here (no kernel support, no
    // CAP_NET_ADMIN): every feature is checked by a dry-run transaction. Changes nothing, so a
    // restarted daemon's old rules keep working until its first apply().
    static Result<std::unique_ptr<Firewall>> open(FirewallOptions o = {});
    ~Firewall();
    Firewall(const Firewall&) = delete;
    Firewall& operator=(const Firewall&) = delete;

    // Replaces Berth's tables with `s` in one transaction. Thread-safe.
    Status apply(const FirewallState& s);
    // Deletes Berth's tables (the daemon stops and leaves no rules behind). Thread-safe.
    Status removeAll();
    // `nft list table` of Berth's tables that exist ("" when none).
    Result<std::string> list();

  private:
    struct Ctx;
    Firewall(FirewallOptions o, std::unique_ptr<Ctx> c);
    Result<std::string> run(const std::string& script);

    FirewallOptions opts_;
    std::unique_ptr<Ctx> ctx_;
    std::mutex mu_;
    // Rules of the last successful apply without its ports: when the next state has the same,
    // only the port maps are rewritten. Empty: unknown, replace everything.
    std::string lastSkeleton_;
};

}  // namespace berth::net
