// Manager: the public entry points (each takes the lock and calls the *Locked worker) and the
// lookups shared by the other manager files.
#include <sys/random.h>

#include "common/log.h"
#include "network/manager_impl.h"

namespace berth::net {

std::string randomHex(size_t n) {
    std::string raw((n + 1) / 2, '\0');
    size_t got = 0;
    while (got < raw.size()) {
        ssize_t r = ::getrandom(raw.data() + got, raw.size() - got, 0);
        if (r > 0) got += static_cast<size_t>(r);
    }
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    out.resize(n);
    return out;
}

Manager::Manager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Manager::~Manager() = default;

Result<std::unique_ptr<Manager>> Manager::open(const Options& o) {
    auto impl = std::make_unique<Impl>(o);
    TRY_CTX(impl->restore(), "open network manager (state {})", o.stateDir);
    return std::unique_ptr<Manager>(new Manager(std::move(impl)));
}

// Exact id, then exact name, then a unique id prefix (as docker resolves network references).
NetState* Manager::Impl::findNet(const std::string& idOrName) {
    if (idOrName.empty()) return nullptr;
    if (auto it = nets.find(idOrName); it != nets.end()) return &it->second;
    for (auto& [id, n] : nets)
        if (n.info.name == idOrName) return &n;
    NetState* found = nullptr;
    for (auto& [id, n] : nets)
        if (id.rfind(idOrName, 0) == 0) {
            if (found) return nullptr;
            found = &n;
        }
    return found;
}

const NetState* Manager::Impl::findNet(const std::string& idOrName) const {
    return const_cast<Impl*>(this)->findNet(idOrName);
}

Result<NetState*> Manager::Impl::requireNet(const std::string& idOrName) {
    if (auto* n = findNet(idOrName)) return n;
    return Error{ENOENT, fmt::format("network {} not found", idOrName), true};
}

NetworkInfo Manager::Impl::describe(const NetState& n) const {
    NetworkInfo info = n.info;
    for (const auto& [cid, s] : sbs) {
        for (const auto& ep : s.rec.endpoints)
            if (ep.info.networkId == n.info.id) info.containers[cid] = ep.info;
        // host/none sandboxes show up in the predefined networks, as in docker.
        if (n.predefined && n.info.driver != "bridge" && s.rec.kind == n.info.name) {
            EndpointInfo e;
            e.networkId = n.info.id;
            e.networkName = n.info.name;
            e.containerName = s.rec.spec.containerName;
            info.containers[cid] = e;
        }
    }
    return info;
}

SandboxInfo Manager::Impl::describe(const SandboxState& s) const {
    SandboxInfo out;
    const auto& r = s.rec;
    out.containerId = r.spec.containerId;
    out.mode = r.spec.mode;
    out.netnsPath = r.netnsPath;
    const SandboxRecord* epSrc = &r;
    if (r.kind == "container")
        if (auto it = sbs.find(r.sharedWith); it != sbs.end()) epSrc = &it->second.rec;
    for (const auto& ep : epSrc->endpoints) out.endpoints.push_back(ep.info);
    out.ports = r.ports;
    out.hostsPath = r.hostsPath;
    out.resolvConfPath = r.resolvConfPath;
    out.hostnamePath = r.hostnamePath;
    out.setupMs = s.setupMs;
    return out;
}

Result<NetworkInfo> Manager::createNetwork(const NetworkSpec& spec) {
    std::lock_guard l(impl_->mu);
    return impl_->createNetworkLocked(spec);
}

Status Manager::removeNetwork(const std::string& idOrName) {
    std::lock_guard l(impl_->mu);
    auto* n = TRY(impl_->requireNet(idOrName));
    return impl_->removeNetworkLocked(*n);
}

Result<NetworkInfo> Manager::get(const std::string& idOrName) const {
    std::lock_guard l(impl_->mu);
    const auto* n = impl_->findNet(idOrName);
    if (!n) return Error{ENOENT, fmt::format("network {} not found", idOrName), true};
    return impl_->describe(*n);
}

std::vector<NetworkInfo> Manager::list() const {
    std::lock_guard l(impl_->mu);
    std::vector<NetworkInfo> out;
    for (const auto& [id, n] : impl_->nets) out.push_back(impl_->describe(n));
    return out;
}

Result<std::vector<std::string>> Manager::prune(
    const std::function<bool(const NetworkInfo&)>& filter) {
    std::lock_guard l(impl_->mu);
    std::vector<std::string> removed;
    std::vector<std::string> ids;
    for (const auto& [id, n] : impl_->nets) {
        if (n.predefined) continue;
        NetworkInfo info = impl_->describe(n);
        if (info.containers.empty() && (!filter || filter(info))) ids.push_back(id);
    }
    for (const auto& id : ids) {
        NetState& n = impl_->nets.at(id);
        std::string name = n.info.name;
        TRY_CTX(impl_->removeNetworkLocked(n), "prune networks");
        removed.push_back(name);
    }
    return removed;
}

Result<SandboxInfo> Manager::createSandbox(const SandboxSpec& spec) {
    std::lock_guard l(impl_->mu);
    return impl_->createSandboxLocked(spec);
}

Result<SandboxInfo> Manager::sandbox(const std::string& containerId) const {
    std::lock_guard l(impl_->mu);
    auto it = impl_->sbs.find(containerId);
    if (it == impl_->sbs.end())
        return Error{ENOENT, fmt::format("no network sandbox for container {}", containerId),
                     true};
    return impl_->describe(it->second);
}

std::vector<SandboxInfo> Manager::sandboxes() const {
    std::lock_guard l(impl_->mu);
    std::vector<SandboxInfo> out;
    for (const auto& [id, s] : impl_->sbs) out.push_back(impl_->describe(s));
    return out;
}

Result<EndpointInfo> Manager::connect(const std::string& containerId, const EndpointSpec& spec) {
    std::lock_guard l(impl_->mu);
    auto it = impl_->sbs.find(containerId);
    if (it == impl_->sbs.end())
        return Error{ENOENT, fmt::format("no network sandbox for container {}", containerId),
                     true};
    return impl_->connectLocked(it->second, spec);
}

Status Manager::disconnect(const std::string& containerId, const std::string& network,
                           bool force) {
    std::lock_guard l(impl_->mu);
    auto it = impl_->sbs.find(containerId);
    if (it == impl_->sbs.end())
        return Error{ENOENT, fmt::format("no network sandbox for container {}", containerId),
                     true};
    return impl_->disconnectLocked(it->second, network, force);
}

Status Manager::removeSandbox(const std::string& containerId) {
    std::lock_guard l(impl_->mu);
    return impl_->removeSandboxLocked(containerId);
}

Status Manager::recover(const std::set<std::string>& liveContainers) {
    std::lock_guard l(impl_->mu);
    std::vector<std::string> dead;
    for (const auto& [id, s] : impl_->sbs)
        if (!liveContainers.count(id)) dead.push_back(id);
    Status first;
    for (const auto& id : dead) {
        auto st = impl_->removeSandboxLocked(id);
        if (!st) {
            log::warn("network: remove sandbox of dead container {}: {}", id, st.error().str());
            if (first) first = std::move(st).error().wrap("recover");
        }
    }
    return first;
}

void Manager::settle() { impl_->pool->settle(); }

Timings Manager::timings() const {
    std::lock_guard l(impl_->mu);
    return impl_->timing;
}

}  // namespace berth::net
