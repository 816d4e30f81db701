// The embedded DNS server of user-defined networks (docker's 127.0.0.11).
//
// One DnsServer per daemon, one thread (epoll). For each sandbox it listens on 127.0.0.11:53,
// UDP and TCP, inside that sandbox's network namespace: the sockets are opened by a short-lived
// thread that setns()es into the netns, and stay there. Questions are answered from the
// sandbox's resolver callback (container names, aliases, service names; several addresses come in
// rotating order); everything else is forwarded, from the daemon's netns, to the upstream
// servers (the sandbox's --dns, else the server's, i.e. the host's resolv.conf). A name the
// resolver knows but without addresses of the asked type gets an empty NOERROR answer, never a
// forwarded one (so a container name never leaks to, or is shadowed by, the outside DNS).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::net {

struct DnsAnswer {
    bool found = false;  // the name is ours (even with no address of the asked family)
    std::vector<std::string> ipv4, ipv6;
};

// Called on the DNS thread with the question name in lowercase without the trailing dot
// ("web", "web.mynet"). Must be thread-safe and must not call back into the DnsServer. It may be
// called shortly after removeSandbox() returned.
using DnsResolver = std::function<DnsAnswer(const std::string& name)>;
// Reverse lookup of a container address ("172.18.0.2" or an IPv6 address) to its name; "" when
// unknown (then the PTR question is forwarded). Optional.
using DnsReverse = std::function<std::string(const std::string& ip)>;

struct DnsSandbox {
    DnsResolver resolve;
    DnsReverse reverse;
    std::vector<std::string> upstreams;  // the container's --dns; empty = the server's
    // false: other names get SERVFAIL, nothing is forwarded (a container only on internal
    // networks must not reach outside, not even through DNS; docker does the same).
    bool forward = true;
};

struct DnsOptions {
    // "8.8.8.8", "8.8.8.8:5353", "2001:db8::1", "[2001:db8::1]:53". Loopback upstreams work: the
    // forwarder runs in the daemon's netns, not the container's.
    std::vector<std::string> upstreams;
    std::string listenIp = "127.0.0.11";
    uint16_t port = 53;
    int upstreamTimeoutMs = 2000;  // per upstream; then the next one, then SERVFAIL
    uint32_t ttl = 600;            // of local answers
};

// The nameserver lines of a resolv.conf, in order ("nameserver 1.1.1.1" -> "1.1.1.1"; an IPv6
// zone "%eth0" is dropped).
std::vector<std::string> parseResolvConfNameservers(std::string_view text);

class DnsServer {
  public:
    // Starts the server thread (call it from a thread in the daemon's netns: forwarding happens
    // from the netns of that thread). Malformed upstreams are logged and skipped.
    static Result<std::unique_ptr<DnsServer>> start(DnsOptions o);
    ~DnsServer();  // stops the thread and closes every socket
    DnsServer(const DnsServer&) = delete;
    DnsServer& operator=(const DnsServer&) = delete;

    // Starts answering inside the netns at netnsPath (lo must be up there to be reachable).
    // Adding an id again replaces its resolver and sockets. A malformed sb.upstreams entry (the
    // user's --dns) is an error.
    Status addSandbox(const std::string& id, const std::string& netnsPath, DnsSandbox sb);
    // Stops answering for id and closes its sockets. Unknown ids are fine.
    void removeSandbox(const std::string& id);
    // The host's resolv.conf changed. Malformed upstreams are logged and skipped.
    Status setUpstreams(const std::vector<std::string>& upstreams);
    size_t sandboxCount() const;

    struct Impl;

  private:
    explicit DnsServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::net
