// Internals of DnsServer (dns.h), shared by dns_server.cpp (loop, sandboxes, local answers),
// dns_forward.cpp (upstream forwarding, TCP clients) and dns_sockets.cpp (sockets, parsing).
//
// Threads: one loop thread does all socket I/O and calls the resolvers. addSandbox/removeSandbox
// run on the caller's thread and only touch the maps and epoll registrations under mu_. The loop
// never holds mu_ while it calls a resolver (which may take the Manager's lock while the Manager,
// holding that lock, waits for mu_ in addSandbox).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "network/dns.h"
#include "network/dns_message.h"

namespace berth::net {

using DnsClock = std::chrono::steady_clock;

struct DnsUpstream {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string text;
};

// "1.1.1.1", "1.1.1.1:53", "::1", "[::1]:53"
Result<DnsUpstream> parseDnsUpstream(const std::string& s);
// Opens the UDP and TCP listeners on ip:port inside the netns at path.
Result<std::pair<UniqueFd, UniqueFd>> openDnsListeners(const std::string& netnsPath,
                                                       const std::string& ip, uint16_t port);

struct DnsSandboxEntry {
    std::string id;
    DnsSandbox sb;
    std::vector<DnsUpstream> upstreams;  // parsed sb.upstreams
    UniqueFd udp, tcp;
    uint64_t udpToken = 0, tcpToken = 0;
    std::atomic<bool> removed{false};
};
using SandboxPtr = std::shared_ptr<DnsSandboxEntry>;

// A client connected over TCP: length-prefixed messages both ways.
struct DnsTcpConn {
    SandboxPtr sb;
    UniqueFd fd;
    uint64_t token = 0;
    dns::Bytes in, out;
    DnsClock::time_point idleDeadline;
    bool wantWrite = false;
    bool closed = false;
};

// A question on its way to the upstreams.
struct DnsForward {
    SandboxPtr sb;
    dns::Bytes query;  // as received but with our id
    dns::Bytes question;
    uint16_t clientId = 0, ourId = 0;
    // Where the answer goes: a UDP client (address) or a TCP client (connection).
    bool overTcp = false;
    sockaddr_storage client{};
    socklen_t clientLen = 0;
    std::weak_ptr<DnsTcpConn> conn;
    dns::Query parsed;  // for a SERVFAIL of our own
    std::vector<DnsUpstream> upstreams;
    size_t next = 0;  // upstream being tried
    // The current attempt.
    UniqueFd fd;
    uint64_t token = 0;
    DnsClock::time_point deadline;
    dns::Bytes out, in;  // TCP upstream: length-prefixed query / reply so far
    size_t outOff = 0;
};

struct DnsHandle {
    enum Kind { Wake, Udp, TcpListen, TcpConn, Forward } kind = Wake;
    SandboxPtr sb;
    std::shared_ptr<DnsTcpConn> conn;
    std::shared_ptr<DnsForward> fwd;
};

struct DnsServer::Impl {
    DnsOptions opts;
    UniqueFd epoll, wake;
    std::thread loop;
    std::atomic<bool> stop{false};
    std::atomic<uint32_t> rotation{0};

    mutable std::mutex mu;  // guards everything below
    std::vector<DnsUpstream> upstreams;
    std::map<std::string, SandboxPtr> sandboxes;
    std::map<uint64_t, DnsHandle> handles;
    uint64_t nextToken = 1;

    ~Impl();
    void run();
    uint64_t add(int fd, uint32_t events, DnsHandle h);  // takes mu
    void drop(uint64_t token);                           // takes mu
    void modify(int fd, uint64_t token, uint32_t events);
    void dispatch(const DnsHandle& h, uint32_t events);
    void expire();

    // Local answer or forward; `reply` sends a finished answer back to the client.
    void handleQuery(const SandboxPtr& sb, const uint8_t* p, size_t n, bool tcp,
                     const sockaddr_storage* client, socklen_t clientLen,
                     const std::shared_ptr<DnsTcpConn>& conn);
    bool answerLocally(const SandboxPtr& sb, const dns::Query& q, size_t maxSize, dns::Bytes& out);
    void reply(const SandboxPtr& sb, bool tcp, const sockaddr_storage* client, socklen_t clientLen,
               const std::shared_ptr<DnsTcpConn>& conn, const dns::Bytes& msg);

    // dns_forward.cpp
    void onUdp(const SandboxPtr& sb);
    void onAccept(const SandboxPtr& sb);
    void onTcpConn(const std::shared_ptr<DnsTcpConn>& c, uint32_t events);
    void closeConn(const std::shared_ptr<DnsTcpConn>& c);
    void queueTcp(const std::shared_ptr<DnsTcpConn>& c, const dns::Bytes& msg);
    void startForward(std::shared_ptr<DnsForward> f);
    void onForward(const std::shared_ptr<DnsForward>& f, uint32_t events);
    void nextUpstream(const std::shared_ptr<DnsForward>& f);
    void finishForward(const std::shared_ptr<DnsForward>& f, const dns::Bytes& answer);
};

}  // namespace berth::net
