// Test helpers for network namespaces and real traffic (header-only, tests only).
//
// Namespaces are anonymous: a thread unshares and the process keeps an fd, so they vanish with
// the test process even when it crashes (no bind mounts left behind). Other processes reach them
// as /proc/<pid>/fd/<n> (`nsenter --net=...`, `ip link ... netns ...`).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <fmt/core.h>

#include "common/result.h"
#include "common/unique_fd.h"
#include "network/addr.h"

namespace berth::test {

// Runs fn on a thread inside the netns `nsfd` and returns its result.
template <typename F>
auto inNetns(int nsfd, F fn) -> decltype(fn()) {
    std::optional<decltype(fn())> out;
    std::thread t([&] {
        if (setns(nsfd, CLONE_NEWNET) != 0) {  // a broken test setup: nothing sensible to do
            perror("setns");
            abort();
        }
        out.emplace(fn());
    });
    t.join();
    return std::move(*out);
}

class Netns {
  public:
    static Result<Netns> create() {
        Result<Netns> r = Error{0, "unset"};
        std::thread t([&] {
            if (unshare(CLONE_NEWNET) != 0) {
                r = errnoError("unshare(CLONE_NEWNET)");
                return;
            }
            int fd = open("/proc/thread-self/ns/net", O_RDONLY);
            if (fd < 0) {
                r = errnoError("open /proc/thread-self/ns/net");
                return;
            }
            r = Netns(UniqueFd(fd));
        });
        t.join();
        return r;
    }
    int fd() const { return fd_.get(); }
    // A path other processes can open.
    std::string path() const { return fmt::format("/proc/{}/fd/{}", getpid(), fd_.get()); }
    // Runs a shell command inside the netns; returns its exit status (0 = ok).
    int sh(const std::string& cmd) const {
        std::string full = fmt::format("nsenter --net={} sh -c '{}'", path(), cmd);
        return system(full.c_str());
    }

  private:
    explicit Netns(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

using net::sockAddr;  // network/addr.h

inline std::string peerStr(const sockaddr_storage& ss) {
    char b[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, b, sizeof b);
    else
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, b, sizeof b);
    return b;
}

// A TCP or UDP server inside a netns on [::]:port (dual stack) that answers every connection /
// datagram with "<name> <peer address>" (the source address it saw).
class EchoServer {
  public:
    EchoServer(int nsfd, int type, uint16_t port, std::string name)
        : type_(type), name_(std::move(name)) {
        std::atomic<int> ready{0};
        t_ = std::thread([this, nsfd, port, &ready] {
            if (setns(nsfd, CLONE_NEWNET) != 0) return (void)ready.store(-1);
            UniqueFd s(socket(AF_INET6, type_ | SOCK_CLOEXEC, 0));
            int off = 0, on = 1;
            setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
            setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
            sockaddr_in6 a{};
            a.sin6_family = AF_INET6;
            a.sin6_port = htons(port);
            if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
                (type_ == SOCK_STREAM && listen(s.get(), 64) != 0))
                return (void)ready.store(-1);
            ready.store(1);
            serve(s.get());
        });
        while (ready.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ok_ = ready.load() == 1;
    }
    ~EchoServer() {
        stop_ = true;
        t_.join();
    }
    bool ok() const { return ok_; }

  private:
    static std::string unmapped(const sockaddr_storage& ss) {
        std::string p = peerStr(ss);
        return p.starts_with("::ffff:") ? p.substr(7) : p;
    }
    void serve(int s) {
        while (!stop_) {
            pollfd p{s, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            sockaddr_storage peer{};
            socklen_t len = sizeof peer;
            if (type_ == SOCK_STREAM) {
                UniqueFd c(accept4(s, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
                if (!c) continue;
                std::string msg = name_ + " " + unmapped(peer);
                (void)!write(c.get(), msg.data(), msg.size());
            } else {
                char buf[512];
                ssize_t n =
                    recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len);
                if (n < 0) continue;
                std::string msg = name_ + " " + unmapped(peer);
                sendto(s, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&peer), len);
            }
        }
    }
    int type_;
    std::string name_;
    std::thread t_;
    std::atomic<bool> stop_{false};
    bool ok_ = false;
};

// Connects (TCP) or sends a datagram (UDP) from inside netns `nsfd` to ip:port and returns what
// the server answered; an error when nothing came back within timeoutMs.
inline Result<std::string> ask(int nsfd, int type, const std::string& ip, uint16_t port,
                               int timeoutMs = 1500) {
    return inNetns(nsfd, [&]() -> Result<std::string> {
        socklen_t len = 0;
        sockaddr_storage ss = TRY(sockAddr(ip, port, len));
        UniqueFd s(socket(ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!s) return errnoError("socket");
        int rc = connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len);
        if (rc != 0 && errno != EINPROGRESS) return errnoError("connect {}:{}", ip, port);
        if (type == SOCK_DGRAM && send(s.get(), "?", 1, 0) != 1) return errnoError("send");
        std::string out;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        while (true) {
            int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            deadline - std::chrono::steady_clock::now())
                                            .count());
            if (left <= 0) return Error{ETIMEDOUT, fmt::format("{}:{}: no answer", ip, port)};
            pollfd p{s.get(), POLLIN, 0};
            if (poll(&p, 1, left) <= 0) continue;
            char buf[512];
            ssize_t n = read(s.get(), buf, sizeof buf);
            if (n < 0 && errno == EAGAIN) continue;
            if (n < 0) return errnoError("{}:{}", ip, port);
            out.append(buf, static_cast<size_t>(n));
            if (n == 0 || type == SOCK_DGRAM) return out;
        }
    });
}

}  // namespace berth::test
