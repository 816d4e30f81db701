// Listeners (unix sockets, TCP with optional TLS), the accept loop on the caller's thread and
// one thread per connection; graceful stop.
#include "api/server.h"

#include <grp.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "api/conn.h"
#include "api/context.h"
#include "api/metrics.h"
#include "api/serve.h"
#include "common/log.h"
#include "common/sys.h"
#include "common/unix_socket.h"

namespace berth::api {

struct Listener {
    UniqueFd fd;
    std::string addr;
    bool tls = false;
    std::string unixPath;  // removed at stop
};

struct ConnEntry {
    int fd = -1;
    std::atomic<bool> busy{false};
};

struct Server::Impl {
    ServerOptions opts;
    std::atomic<bool> stopping{false};
    Metrics metrics;
    Router router;
    std::unique_ptr<Context> ctx;
    std::unique_ptr<TlsContext> tls;
    std::vector<Listener> listeners;
    std::mutex mu;
    std::condition_variable cv;
    std::list<ConnEntry> conns;
};

namespace {

Result<Listener> listenUnix(const std::string& path) {
    auto dir = path.substr(0, path.rfind('/'));
    if (!dir.empty()) TRY_CTX(sys::mkdirAll(dir, 0755), "listen on {}", path);
    // A socket file left by a daemon that died: remove it unless something still answers.
    if (sys::exists(path)) {
        if (sys::connectUnix(path))
            return makeError(EADDRINUSE, "{} is in use by another daemon", path);
        ::unlink(path.c_str());
    }
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) return invalid("socket path too long: {}", path);
    memcpy(sa.sun_path, path.c_str(), path.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return errnoError("socket for {}", path);
    mode_t old = ::umask(0177);  // no window where others could connect
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::umask(old);
    if (rc < 0) return errnoError("bind {}", path);
    // dockerd's rule: root:docker 0660 when the group exists, else root-only.
    gid_t gid = 0;
    for (const char* g : {"docker", "berth"}) {
        if (group* gr = ::getgrnam(g)) {
            gid = gr->gr_gid;
            break;
        }
    }
    if (::chown(path.c_str(), 0, gid) < 0) return errnoError("chown {}", path);
    if (::chmod(path.c_str(), 0660) < 0) return errnoError("chmod {}", path);
    if (::listen(fd.get(), 512) < 0) return errnoError("listen {}", path);
    return Listener{std::move(fd), "unix://" + path, false, path};
}

Result<Listener> listenTcp(const std::string& hostport, bool tls) {
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) return invalid("invalid tcp address {}: no port", hostport);
    std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (int e = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); e != 0)
        return invalid("invalid tcp address {}: {}", hostport, gai_strerror(e));
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
    UniqueFd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return errnoError("socket for {}", hostport);
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), res->ai_addr, res->ai_addrlen) < 0) return errnoError("bind {}", hostport);
    if (::listen(fd.get(), 512) < 0) return errnoError("listen {}", hostport);
    return Listener{std::move(fd), "tcp://" + hostport, tls, ""};
}

}  // namespace

Result<std::unique_ptr<Server>> Server::create(const ServerOptions& o, const DaemonInfo& info,
                                               engine::Engine& engine, image::Service& images,
                                               net::Manager& network) {
    auto impl = std::make_unique<Impl>();
    impl->opts = o;
    impl->ctx.reset(new Context{engine, images, network, info, impl->metrics, impl->stopping});
    addSystemRoutes(impl->router);
    addEventRoutes(impl->router);
    addBuildRoutes(impl->router);
    addImageTransferRoutes(impl->router);
    addImageRoutes(impl->router);
    addNetworkRoutes(impl->router);
    addContainerIoRoutes(impl->router);
    addContainerRoutes(impl->router);
    addExecRoutes(impl->router);
    addVolumeRoutes(impl->router);
    if (o.tls.enabled) impl->tls = TRY_CTX(TlsContext::create(o.tls), "TLS");
    auto hosts = o.hosts.empty()
                     ? std::vector<std::string>{"unix://" + info.runRoot + "/berth.sock"}
                     : o.hosts;
    for (const auto& h : hosts) {
        if (h.starts_with("unix://")) {
            impl->listeners.push_back(TRY(listenUnix(h.substr(7))));
        } else if (h.starts_with("tcp://")) {
            auto hp = h.substr(6);
            if (auto slash = hp.find('/'); slash != std::string::npos) hp.resize(slash);
            if (!o.tls.enabled)
                log::warn("API listening on {} without TLS: anyone reaching it is root", h);
            impl->listeners.push_back(TRY(listenTcp(hp, o.tls.enabled)));
        } else if (h.starts_with("/")) {
            impl->listeners.push_back(TRY(listenUnix(h)));
        } else {
            return invalid("invalid host {}: use unix:///path or tcp://host:port", h);
        }
        log::info("API listening on {}", impl->listeners.back().addr);
    }
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    for (auto& l : impl_->listeners)
        if (!l.unixPath.empty()) ::unlink(l.unixPath.c_str());
}

Status Server::run(int stopFd, int graceSeconds) {
    auto& im = *impl_;
    std::vector<pollfd> pfds;
    for (auto& l : im.listeners) pfds.push_back({l.fd.get(), POLLIN, 0});
    pfds.push_back({stopFd, POLLIN, 0});
    using Clock = std::chrono::steady_clock;
    auto lastActive = Clock::now();
    bool idleDone = !im.opts.onIdle;
    while (!im.stopping.load()) {
        int timeout = -1;
        if (!idleDone) {
            auto due = lastActive + std::chrono::seconds(im.opts.idleSeconds);
            timeout = static_cast<int>(std::max<int64_t>(
                0,
                std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()).count()));
        }
        int r = ::poll(pfds.data(), pfds.size(), timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errnoError("poll listeners");
        }
        if (r == 0) {
            std::unique_lock lk(im.mu);
            if (!im.conns.empty()) {
                lastActive = Clock::now();  // still busy: look again later
                continue;
            }
            lk.unlock();
            im.opts.onIdle();
            idleDone = true;
            continue;
        }
        if (pfds.back().revents) break;
        lastActive = Clock::now();
        idleDone = !im.opts.onIdle;
        for (size_t i = 0; i + 1 < pfds.size(); i++) {
            if (!pfds[i].revents) continue;
            int cfd = ::accept4(pfds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (cfd < 0) continue;  // EMFILE, a client that left: keep serving the rest
            UniqueFd owned(cfd);
            SSL* ssl = im.listeners[i].tls ? im.tls->newSsl(cfd) : nullptr;
            auto conn = std::make_shared<Conn>(std::move(owned), ssl);
            conn->peer = im.listeners[i].addr;
            ConnEntry* entry;
            {
                std::lock_guard lk(im.mu);
                entry = &im.conns.emplace_back();
                entry->fd = cfd;
            }
            std::thread([&im, conn, entry] {
                ConnState st{&im.router, im.ctx.get(), &im.stopping, &entry->busy};
                serveConnection(st, *conn);
                std::lock_guard lk(im.mu);
                for (auto it = im.conns.begin(); it != im.conns.end(); ++it)
                    if (&*it == entry) {
                        im.conns.erase(it);
                        break;
                    }
                // Idle again: give the heap that requests grew (an image import, a burst of
                // creates) back to the system, so the idle daemon stays small.
                if (im.conns.empty()) ::malloc_trim(0);
                im.cv.notify_all();
            }).detach();
        }
    }
    log::info("API: stopping (no new connections)");
    im.stopping.store(true);
    for (auto& l : im.listeners) l.fd.reset();
    std::unique_lock lk(im.mu);
    // Idle keep-alive connections end at once; requests in flight get the grace period.
    for (auto& c : im.conns)
        if (!c.busy.load()) ::shutdown(c.fd, SHUT_RDWR);
    im.cv.wait_for(lk, std::chrono::seconds(graceSeconds), [&] { return im.conns.empty(); });
    for (auto& c : im.conns) ::shutdown(c.fd, SHUT_RDWR);
    im.cv.wait_for(lk, std::chrono::seconds(5), [&] { return im.conns.empty(); });
    if (!im.conns.empty()) log::warn("API: {} connections did not end", im.conns.size());
    return {};
}

}  // namespace berth::api
