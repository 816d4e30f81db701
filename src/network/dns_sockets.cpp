// Sockets of the DNS server: listeners inside a sandbox's netns, upstream addresses, resolv.conf.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "network/addr.h"
#include "network/dns_impl.h"

namespace berth::net {
namespace {

Result<UniqueFd> listener(int type, const sockaddr_storage& ss, socklen_t len) {
    UniqueFd s(socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) return errnoError("socket");
    int on = 1;
    // FREEBIND: the address need not be configured yet (127.0.0.11 is, once lo is up).
    int level = ss.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    int opt = ss.ss_family == AF_INET ? IP_FREEBIND : IPV6_FREEBIND;
    if (setsockopt(s.get(), level, opt, &on, sizeof on) != 0) return errnoError("FREEBIND");
    if (type == SOCK_STREAM && setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        return errnoError("SO_REUSEADDR");
    // A replaced sandbox's old socket may still be closing on the loop thread: retry briefly.
    for (int i = 0;; i++) {
        if (bind(s.get(), reinterpret_cast<const sockaddr*>(&ss), len) == 0) break;
        if (errno != EADDRINUSE || i == 50) return errnoError("bind");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (type == SOCK_STREAM && listen(s.get(), 64) != 0) return errnoError("listen");
    return s;
}

}  // namespace

Result<DnsUpstream> parseDnsUpstream(const std::string& s) {
    std::string ip = s;
    uint16_t port = 53;
    auto parsePort = [&](const std::string& p) -> Status {
        char* end = nullptr;
        unsigned long v = strtoul(p.c_str(), &end, 10);
        if (p.empty() || *end || v == 0 || v > 65535) return invalid("bad DNS server '{}'", s);
        port = static_cast<uint16_t>(v);
        return okStatus();
    };
    if (s.starts_with("[")) {
        size_t close = s.find(']');
        if (close == std::string::npos) return invalid("bad DNS server '{}'", s);
        ip = s.substr(1, close - 1);
        if (close + 1 < s.size()) {
            if (s[close + 1] != ':') return invalid("bad DNS server '{}'", s);
            TRY(parsePort(s.substr(close + 2)));
        }
    } else if (std::count(s.begin(), s.end(), ':') == 1) {
        ip = s.substr(0, s.find(':'));
        TRY(parsePort(s.substr(s.find(':') + 1)));
    }
    DnsUpstream u;
    u.addr = TRY_CTX(sockAddr(ip, port, u.len), "DNS server '{}'", s);
    u.text = s;
    return u;
}

Result<std::pair<UniqueFd, UniqueFd>> openDnsListeners(const std::string& netnsPath,
                                                       const std::string& ip, uint16_t port) {
    socklen_t len = 0;
    sockaddr_storage ss = TRY(sockAddr(ip, port, len));
    UniqueFd ns(open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return errnoError("open netns {}", netnsPath);
    // Sockets belong to the netns of the thread that creates them; a helper thread enters the
    // sandbox's netns (only it: setns(CLONE_NEWNET) is per thread) and ends there.
    Result<std::pair<UniqueFd, UniqueFd>> out = Error{0, "not run"};
    std::thread t([&] {
        if (setns(ns.get(), CLONE_NEWNET) != 0) {
            out = errnoError("setns {}", netnsPath);
            return;
        }
        auto udp = listener(SOCK_DGRAM, ss, len);
        if (!udp) {
            out = udp.error().wrap(fmt::format("udp {}:{}", ip, port));
            return;
        }
        auto tcp = listener(SOCK_STREAM, ss, len);
        if (!tcp) {
            out = tcp.error().wrap(fmt::format("tcp {}:{}", ip, port));
            return;
        }
        out = std::pair{std::move(*udp), std::move(*tcp)};
    });
    t.join();
    return out;
}

std::vector<std::string> parseResolvConfNameservers(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key >> value) || key != "nameserver") continue;
        if (auto pct = value.find('%'); pct != std::string::npos) value.resize(pct);
        out.push_back(value);
    }
    return out;
}

}  // namespace berth::net
