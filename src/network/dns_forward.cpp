// DnsServer socket I/O: UDP and TCP clients, and forwarding to upstream servers (UDP for UDP
// clients, TCP for TCP clients, so truncation is the upstream's business and the client's).
// Everything here runs on the loop thread.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <random>

#include "network/dns_impl.h"

namespace berth::net {
namespace {

constexpr auto kTcpIdle = std::chrono::seconds(10);

uint16_t randomId() {
    static thread_local std::mt19937 rng{std::random_device{}()};
    return static_cast<uint16_t>(rng());
}

void setId(dns::Bytes& msg, uint16_t id) {
    msg[0] = static_cast<uint8_t>(id >> 8);
    msg[1] = static_cast<uint8_t>(id);
}

}  // namespace

void DnsServer::Impl::onUdp(const SandboxPtr& sb) {
    uint8_t buf[4096];
    for (int i = 0; i < 64; i++) {  // bounded, so one busy sandbox cannot starve the others
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(sb->udp.get(), buf, sizeof buf, MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&peer), &len);
        if (n < 0) return;
        handleQuery(sb, buf, static_cast<size_t>(n), false, &peer, len, nullptr);
    }
}

void DnsServer::Impl::onAccept(const SandboxPtr& sb) {
    while (true) {
        UniqueFd fd(accept4(sb->tcp.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) return;
        auto c = std::make_shared<DnsTcpConn>();
        c->sb = sb;
        c->fd = std::move(fd);
        c->idleDeadline = DnsClock::now() + kTcpIdle;
        std::lock_guard lk(mu);
        if (handles.size() > 4096) return;  // flooded: c closes here
        c->token = add(c->fd.get(), EPOLLIN, {DnsHandle::TcpConn, sb, c, {}});
    }
}

void DnsServer::Impl::closeConn(const std::shared_ptr<DnsTcpConn>& c) {
    std::lock_guard lk(mu);
    drop(c->token);
    c->closed = true;
}

void DnsServer::Impl::onTcpConn(const std::shared_ptr<DnsTcpConn>& c, uint32_t events) {
    if (c->closed) return;
    c->idleDeadline = DnsClock::now() + kTcpIdle;
    if (events & EPOLLOUT) queueTcp(c, {});
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    bool eof = false;
    uint8_t buf[4096];
    while (true) {
        ssize_t n = read(c->fd.get(), buf, sizeof buf);
        if (n > 0) {
            c->in.insert(c->in.end(), buf, buf + n);
            continue;
        }
        eof = n == 0 || errno != EAGAIN;
        break;
    }
    while (c->in.size() >= 2) {
        size_t len = size_t(c->in[0]) << 8 | c->in[1];
        if (c->in.size() < 2 + len) break;
        dns::Bytes msg(c->in.begin() + 2, c->in.begin() + 2 + static_cast<ptrdiff_t>(len));
        c->in.erase(c->in.begin(), c->in.begin() + 2 + static_cast<ptrdiff_t>(len));
        handleQuery(c->sb, msg.data(), msg.size(), true, nullptr, 0, c);
    }
    if (eof) closeConn(c);
}

void DnsServer::Impl::queueTcp(const std::shared_ptr<DnsTcpConn>& c, const dns::Bytes& msg) {
    if (c->closed) return;
    if (!msg.empty()) {
        c->out.push_back(static_cast<uint8_t>(msg.size() >> 8));
        c->out.push_back(static_cast<uint8_t>(msg.size()));
        c->out.insert(c->out.end(), msg.begin(), msg.end());
    }
    while (!c->out.empty()) {
        ssize_t n = send(c->fd.get(), c->out.data(), c->out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN) return closeConn(c);
            break;
        }
        c->out.erase(c->out.begin(), c->out.begin() + n);
    }
    bool want = !c->out.empty();
    if (want != c->wantWrite) {
        c->wantWrite = want;
        modify(c->fd.get(), c->token, EPOLLIN | (want ? uint32_t(EPOLLOUT) : 0u));
    }
}

void DnsServer::Impl::startForward(std::shared_ptr<DnsForward> f) {
    if (f->next >= f->upstreams.size()) {  // every upstream failed
        size_t max = f->overTcp ? 65535 : f->parsed.edns ? f->parsed.udpSize : 512;
        reply(f->sb, f->overTcp, &f->client, f->clientLen, f->conn.lock(),
              dns::buildResponse(f->parsed, dns::ServFail, {}, 0, max, false));
        return;
    }
    const DnsUpstream& u = f->upstreams[f->next];
    f->ourId = randomId();
    setId(f->query, f->ourId);
    f->fd =
        UniqueFd(socket(u.addr.ss_family,
                        (f->overTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    bool ok = f->fd.valid();
    if (ok) {
        int rc = connect(f->fd.get(), reinterpret_cast<const sockaddr*>(&u.addr), u.len);
        ok = rc == 0 || errno == EINPROGRESS;
    }
    if (ok && !f->overTcp)
        ok = send(f->fd.get(), f->query.data(), f->query.size(), MSG_DONTWAIT) >= 0;
    if (ok && f->overTcp) {
        f->out = {static_cast<uint8_t>(f->query.size() >> 8),
                  static_cast<uint8_t>(f->query.size())};
        f->out.insert(f->out.end(), f->query.begin(), f->query.end());
        f->outOff = 0;
        f->in.clear();
    }
    if (ok) {
        f->deadline = DnsClock::now() + std::chrono::milliseconds(opts.upstreamTimeoutMs);
        std::lock_guard lk(mu);
        f->token =
            add(f->fd.get(), f->overTcp ? EPOLLOUT : EPOLLIN, {DnsHandle::Forward, f->sb, {}, f});
        ok = f->token != 0;
    }
    if (!ok) {
        f->fd.reset();
        f->next++;
        startForward(std::move(f));
    }
}

void DnsServer::Impl::nextUpstream(const std::shared_ptr<DnsForward>& f) {
    {
        std::lock_guard lk(mu);
        drop(f->token);
    }
    f->token = 0;
    f->fd.reset();
    f->next++;
    startForward(f);
}

void DnsServer::Impl::finishForward(const std::shared_ptr<DnsForward>& f,
                                    const dns::Bytes& answer) {
    {
        std::lock_guard lk(mu);
        drop(f->token);
    }
    f->token = 0;
    f->fd.reset();
    dns::Bytes msg = answer;
    setId(msg, f->clientId);
    reply(f->sb, f->overTcp, &f->client, f->clientLen, f->conn.lock(), msg);
}

void DnsServer::Impl::onForward(const std::shared_ptr<DnsForward>& f, uint32_t events) {
    if (!f->fd) return;
    if (!f->overTcp) {
        uint8_t buf[65536];
        while (true) {
            ssize_t n = recv(f->fd.get(), buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0) {
                if (errno != EAGAIN) nextUpstream(f);  // ECONNREFUSED: nobody serves there
                return;
            }
            if (dns::isAnswerTo(buf, static_cast<size_t>(n), f->ourId, f->question))
                return finishForward(f, dns::Bytes(buf, buf + n));
        }
    }
    if (events & EPOLLERR) return nextUpstream(f);
    if (f->outOff < f->out.size()) {
        ssize_t n = send(f->fd.get(), f->out.data() + f->outOff, f->out.size() - f->outOff,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN) nextUpstream(f);
            return;
        }
        f->outOff += static_cast<size_t>(n);
        if (f->outOff == f->out.size()) modify(f->fd.get(), f->token, EPOLLIN);
        return;
    }
    uint8_t buf[4096];
    while (true) {
        ssize_t n = read(f->fd.get(), buf, sizeof buf);
        if (n > 0) {
            f->in.insert(f->in.end(), buf, buf + n);
            if (f->in.size() >= 2 && f->in.size() >= 2 + (size_t(f->in[0]) << 8 | f->in[1])) break;
            continue;
        }
        if (n < 0 && errno == EAGAIN) return;
        return nextUpstream(f);  // closed or failed before a whole answer
    }
    size_t len = size_t(f->in[0]) << 8 | f->in[1];
    dns::Bytes answer(f->in.begin() + 2, f->in.begin() + 2 + static_cast<ptrdiff_t>(len));
    if (!dns::isAnswerTo(answer.data(), answer.size(), f->ourId, f->question))
        return nextUpstream(f);
    finishForward(f, answer);
}

}  // namespace berth::net
