// DnsServer: lifecycle, sandboxes, the event loop and local answers.
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>

#include "common/log.h"
#include "network/dns_impl.h"

namespace berth::net {

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DnsServer::~DnsServer() = default;

DnsServer::Impl::~Impl() {
    stop = true;
    uint64_t one = 1;
    if (wake) (void)!write(wake.get(), &one, sizeof one);
    if (loop.joinable()) loop.join();
}

Result<std::unique_ptr<DnsServer>> DnsServer::start(DnsOptions o) {
    auto impl = std::make_unique<Impl>();
    for (auto& u : o.upstreams) {
        // The host's resolv.conf is not ours to fix: skip what we cannot use.
        auto p = parseDnsUpstream(u);
        if (p)
            impl->upstreams.push_back(std::move(*p));
        else
            log::warn("dns: ignoring upstream: {}", p.error().str());
    }
    impl->opts = std::move(o);
    impl->epoll = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    if (!impl->epoll) return errnoError("dns: epoll_create1");
    impl->wake = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!impl->wake) return errnoError("dns: eventfd");
    epoll_event ev{EPOLLIN, {.u64 = 0}};
    if (epoll_ctl(impl->epoll.get(), EPOLL_CTL_ADD, impl->wake.get(), &ev) != 0)
        return errnoError("dns: epoll_ctl");
    Impl* p = impl.get();
    impl->loop = std::thread([p] { p->run(); });
    return std::unique_ptr<DnsServer>(new DnsServer(std::move(impl)));
}

Status DnsServer::addSandbox(const std::string& id, const std::string& netnsPath, DnsSandbox sb) {
    auto e = std::make_shared<DnsSandboxEntry>();
    e->id = id;
    for (auto& u : sb.upstreams)
        e->upstreams.push_back(TRY_CTX(parseDnsUpstream(u), "dns for {}", id));
    e->sb = std::move(sb);
    removeSandbox(id);  // a replaced sandbox's sockets hold the address
    auto fds = TRY_CTX(openDnsListeners(netnsPath, impl_->opts.listenIp, impl_->opts.port),
                       "dns for {}", id);
    e->udp = std::move(fds.first);
    e->tcp = std::move(fds.second);
    std::lock_guard lk(impl_->mu);
    impl_->sandboxes[id] = e;
    e->udpToken = impl_->add(e->udp.get(), EPOLLIN, {DnsHandle::Udp, e, {}, {}});
    e->tcpToken = impl_->add(e->tcp.get(), EPOLLIN, {DnsHandle::TcpListen, e, {}, {}});
    if (!e->udpToken || !e->tcpToken) {
        impl_->sandboxes.erase(id);
        impl_->drop(e->udpToken);
        impl_->drop(e->tcpToken);
        return errnoError("dns for {}: epoll_ctl", id);
    }
    return okStatus();
}

void DnsServer::removeSandbox(const std::string& id) {
    std::lock_guard lk(impl_->mu);
    auto it = impl_->sandboxes.find(id);
    if (it == impl_->sandboxes.end()) return;
    SandboxPtr e = it->second;
    e->removed = true;
    impl_->sandboxes.erase(it);
    // Its listeners and TCP clients go now; forwards in flight finish and find it removed.
    std::vector<uint64_t> gone;
    for (auto& [tok, h] : impl_->handles)
        if (h.sb == e && h.kind != DnsHandle::Forward) gone.push_back(tok);
    for (auto tok : gone) impl_->drop(tok);
}

Status DnsServer::setUpstreams(const std::vector<std::string>& upstreams) {
    std::vector<DnsUpstream> parsed;
    for (auto& u : upstreams) {
        auto p = parseDnsUpstream(u);
        if (p)
            parsed.push_back(std::move(*p));
        else
            log::warn("dns: ignoring upstream: {}", p.error().str());
    }
    std::lock_guard lk(impl_->mu);
    impl_->upstreams = std::move(parsed);
    return okStatus();
}

size_t DnsServer::sandboxCount() const {
    std::lock_guard lk(impl_->mu);
    return impl_->sandboxes.size();
}

// Caller holds mu. Returns 0 when epoll refuses the fd.
uint64_t DnsServer::Impl::add(int fd, uint32_t events, DnsHandle h) {
    uint64_t tok = nextToken++;
    epoll_event ev{events, {.u64 = tok}};
    if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return 0;
    handles.emplace(tok, std::move(h));
    return tok;
}

// Caller holds mu. The fd closes when the last reference to its owner goes, which may be on
// the loop thread right after it finished with the event.
void DnsServer::Impl::drop(uint64_t token) {
    auto it = handles.find(token);
    if (it == handles.end()) return;
    int fd = -1;
    auto& h = it->second;
    if (h.kind == DnsHandle::Udp) fd = h.sb->udp.get();
    if (h.kind == DnsHandle::TcpListen) fd = h.sb->tcp.get();
    if (h.kind == DnsHandle::TcpConn) fd = h.conn->fd.get();
    if (h.kind == DnsHandle::Forward) fd = h.fwd->fd.get();
    if (fd >= 0) epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
    handles.erase(it);
}

void DnsServer::Impl::modify(int fd, uint64_t token, uint32_t events) {
    epoll_event ev{events, {.u64 = token}};
    epoll_ctl(epoll.get(), EPOLL_CTL_MOD, fd, &ev);
}

void DnsServer::Impl::run() {
    epoll_event evs[64];
    while (!stop) {
        bool pending;
        {
            std::lock_guard lk(mu);
            pending = handles.size() > 2 * sandboxes.size();  // TCP clients or forwards
        }
        int n = epoll_wait(epoll.get(), evs, 64, pending ? 100 : -1);
        for (int i = 0; i < n && !stop; i++) {
            if (evs[i].data.u64 == 0) {  // the wake eventfd
                uint64_t v;
                (void)!read(wake.get(), &v, sizeof v);
                continue;
            }
            DnsHandle h;
            {
                std::lock_guard lk(mu);
                auto it = handles.find(evs[i].data.u64);
                if (it == handles.end()) continue;  // dropped meanwhile
                h = it->second;
            }
            dispatch(h, evs[i].events);
        }
        expire();
    }
    std::lock_guard lk(mu);
    handles.clear();
    sandboxes.clear();
}

void DnsServer::Impl::dispatch(const DnsHandle& h, uint32_t events) {
    switch (h.kind) {
        case DnsHandle::Wake:
            break;
        case DnsHandle::Udp:
            onUdp(h.sb);
            break;
        case DnsHandle::TcpListen:
            onAccept(h.sb);
            break;
        case DnsHandle::TcpConn:
            onTcpConn(h.conn, events);
            break;
        case DnsHandle::Forward:
            onForward(h.fwd, events);
            break;
    }
}

void DnsServer::Impl::expire() {
    auto now = DnsClock::now();
    std::vector<std::shared_ptr<DnsForward>> late;
    std::vector<std::shared_ptr<DnsTcpConn>> idle;
    {
        std::lock_guard lk(mu);
        for (auto& [tok, h] : handles) {
            if (h.kind == DnsHandle::Forward && h.fwd->deadline <= now) late.push_back(h.fwd);
            if (h.kind == DnsHandle::TcpConn && h.conn->idleDeadline <= now) idle.push_back(h.conn);
        }
    }
    for (auto& f : late) nextUpstream(f);
    for (auto& c : idle) closeConn(c);
}

void DnsServer::Impl::handleQuery(const SandboxPtr& sb, const uint8_t* p, size_t n, bool tcp,
                                  const sockaddr_storage* client, socklen_t clientLen,
                                  const std::shared_ptr<DnsTcpConn>& conn) {
    auto q = dns::parseQuery(p, n);
    if (!q) return;
    size_t maxSize = tcp ? 65535 : q->edns ? std::min<size_t>(q->udpSize, 4096) : 512;
    if (q->badRcode) {
        reply(sb, tcp, client, clientLen, conn,
              dns::buildResponse(*q, q->badRcode, {}, 0, maxSize, false));
        return;
    }
    dns::Bytes out;
    if (answerLocally(sb, *q, maxSize, out)) {
        reply(sb, tcp, client, clientLen, conn, out);
        return;
    }
    std::vector<DnsUpstream> ups;
    size_t inFlight = 0;
    {
        std::lock_guard lk(mu);
        ups = sb->upstreams.empty() ? upstreams : sb->upstreams;
        inFlight = handles.size();
    }
    if (!sb->sb.forward || ups.empty() || inFlight > 4096) {  // nowhere to ask, or flooded
        reply(sb, tcp, client, clientLen, conn,
              dns::buildResponse(*q, dns::ServFail, {}, 0, maxSize, false));
        return;
    }
    auto f = std::make_shared<DnsForward>();
    f->sb = sb;
    f->query.assign(p, p + n);
    f->question = q->question;
    f->clientId = q->id;
    f->overTcp = tcp;
    if (client) f->client = *client;
    f->clientLen = clientLen;
    f->conn = conn;
    f->parsed = std::move(*q);
    f->upstreams = std::move(ups);
    startForward(std::move(f));
}

bool DnsServer::Impl::answerLocally(const SandboxPtr& sb, const dns::Query& q, size_t maxSize,
                                    dns::Bytes& out) {
    if (q.cls != dns::kClassIn && q.cls != dns::kClassAny) return false;
    if (q.name.empty()) return false;
    std::vector<dns::Record> recs;
    try {
        if (q.type == dns::PTR) {
            if (!sb->sb.reverse) return false;
            auto ip = dns::reverseName(q.name);
            if (!ip) return false;
            std::string name = sb->sb.reverse(*ip);
            if (name.empty()) return false;
            auto r = dns::ptrRecord(name);
            if (!r) return false;
            recs.push_back(std::move(*r));
        } else {
            DnsAnswer a = sb->sb.resolve ? sb->sb.resolve(q.name) : DnsAnswer{};
            if (!a.found) return false;
            // Several replicas: rotate so clients taking the first address spread the load.
            uint32_t turn = rotation++;
            auto rotated = [turn](std::vector<std::string> v) {
                if (!v.empty()) std::rotate(v.begin(), v.begin() + turn % v.size(), v.end());
                return v;
            };
            if (q.type == dns::A || q.type == dns::ANY)
                for (auto& ip : rotated(a.ipv4)) recs.push_back(dns::aRecord(ip));
            if (q.type == dns::AAAA || q.type == dns::ANY)
                for (auto& ip : rotated(a.ipv6)) recs.push_back(dns::aaaaRecord(ip));
        }
    } catch (const std::exception& e) {  // a resolver must not take the DNS thread down
        log::error("dns: resolver for {} failed on {}: {}", sb->id, q.name, e.what());
        out = dns::buildResponse(q, dns::ServFail, {}, 0, maxSize, false);
        return true;
    }
    out = dns::buildResponse(q, dns::NoError, recs, opts.ttl, maxSize, true);
    return true;
}

void DnsServer::Impl::reply(const SandboxPtr& sb, bool tcp, const sockaddr_storage* client,
                            socklen_t clientLen, const std::shared_ptr<DnsTcpConn>& conn,
                            const dns::Bytes& msg) {
    if (sb->removed) return;
    if (tcp) {
        if (conn) queueTcp(conn, msg);
        return;
    }
    sendto(sb->udp.get(), msg.data(), msg.size(), MSG_DONTWAIT,
           reinterpret_cast<const sockaddr*>(client), clientLen);
}

}  // namespace berth::net
