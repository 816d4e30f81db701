// open(): make the kernel match the records again after a restart or a crash, and remove what
// no record explains (veths, bridges, netns files and sandbox directories of ours).
#include <dirent.h>

#include <algorithm>
#include <set>

#include "common/log.h"
#include "common/sys.h"
#include "network/manager_impl.h"
#include "network/netns.h"

namespace berth::net {

namespace {

constexpr const char* kVethPrefix = "bth";
constexpr const char* kBridgePrefix = "berth-";

std::vector<std::string> listDir(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") out.push_back(n);
        }
        ::closedir(d);
    }
    return out;
}

bool startsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

}  // namespace

Status Manager::Impl::restore() {
    TRY(store.init());
    TRY_CTX(sys::mkdirAll(opts.runDir + "/netns", 0755), "create {}/netns", opts.runDir);
    for (const auto& p : opts.defaultPools.empty() ? std::vector<std::string>{}
                                                    : opts.defaultPools)
        pools.push_back(TRY(Pool::parse(p)));
    if (pools.empty()) pools = defaultPools();
    if (auto ula = store.readUla(); ula) {
        ula48 = TRY_CTX(Prefix::parse(*ula), "ULA prefix in {}", opts.stateDir);
    } else {
        ula48 = randomUla48();
        TRY(store.writeUla(ula48.str()));
    }
    nl = TRY(Netlink::open());
    TRY(openServices());

    std::vector<std::string> bad;
    for (auto& rec : store.loadNetworks(bad)) {
        auto n = stateFromRecord(rec.info);
        if (!n) {
            bad.push_back(fmt::format("network {}: {}", rec.info.name, n.error().str()));
            continue;
        }
        nets.emplace(rec.info.id, std::move(*n));
    }
    TRY(ensureDefaultNetworks());
    for (auto& [id, n] : nets)
        if (n.bridged()) TRY_CTX(ensureBridge(n), "restore network {}", n.info.name);

    // Own-netns sandboxes first: "container:" ones refer to them.
    auto records = store.loadSandboxes(bad);
    std::stable_partition(records.begin(), records.end(),
                          [](const SandboxRecord& r) { return r.kind != "container"; });
    for (auto& rec : records) {
        std::string id = rec.spec.containerId;
        SandboxState s;
        s.rec = std::move(rec);
        auto st = restoreSandbox(s);
        if (!st) {
            log::warn("network: dropping sandbox {}: {}", id, st.error().str());
            dropSandboxLeftovers(s.rec);
            continue;
        }
        sbs.emplace(id, std::move(s));
    }
    for (const auto& b : bad) log::warn("network: unreadable record: {}", b);
    removeOrphans();
    // After removeOrphans(): the pool's namespaces are in no record.
    pool = std::make_unique<NetnsPool>(opts.runDir + "/netns",
                                       static_cast<size_t>(std::max(0, opts.prepareNetns)));
    lastRuleset.clear();
    TRY_CTX(syncFirewall(), "restore firewall rules");
    for (auto& [id, s] : sbs)
        if (auto st = addToDns(s); !st)
            log::warn("network: sandbox {}: {}", id, st.error().str());
    syncNames();
    return {};
}

// Re-reserves the sandbox's addresses and ports and completes its kernel state; an error means
// the sandbox cannot be kept (its netns is gone: a reboot, or a crash before it was created).
Status Manager::Impl::restoreSandbox(SandboxState& s) {
    SandboxRecord& r = s.rec;
    if (r.kind == "container") {
        if (!sbs.count(r.sharedWith))
            return invalid("the sandbox it shares ({}) is gone", r.sharedWith);
        return {};
    }
    if (r.kind == "host") return writeFiles(r, true);
    auto nsFd = TRY(openNetns(r.netnsPath));

    // Endpoints whose network or address cannot be had any more are dropped (and their veth).
    std::vector<EndpointRecord> kept;
    for (auto& ep : r.endpoints) {
        auto it = nets.find(ep.info.networkId);
        Status st = it == nets.end() ? Status(invalid("network {} is gone", ep.info.networkName))
                                     : Status();
        if (st) {
            NetState& n = it->second;
            if (auto a = IpAddr::parse(ep.info.ipv4); !a || !n.v4) {
                st = invalid("bad IPv4 address {:?}", ep.info.ipv4);
            } else {
                st = n.v4->reserve(*a);
            }
            if (st && !ep.info.ipv6.empty()) {
                auto a6 = IpAddr::parse(ep.info.ipv6);
                st = a6 && n.v6 ? n.v6->reserve(*a6) : Status(invalid("bad IPv6 address"));
                if (!st) n.v4->release(IpAddr::parse(ep.info.ipv4).value());
            }
        }
        if (!st) {
            log::warn("network: sandbox {}: dropping endpoint on {}: {}", r.spec.containerId,
                      ep.info.networkName, st.error().str());
            detachEndpoint(ep);
            continue;
        }
        kept.push_back(ep);
    }
    bool changed = kept.size() != r.endpoints.size();
    r.endpoints = std::move(kept);
    if (changed) TRY(store.saveSandbox(r));

    auto inside = TRY(Netlink::openIn(nsFd.get()));
    TRY(inside.setUp(1));  // lo
    for (const auto& ep : r.endpoints)
        TRY_CTX(attachEndpoint(inside, nsFd.get(), ep, nets.at(ep.info.networkId)),
                "endpoint on {}", ep.info.networkName);
    TRY(applyGateway(inside, r));
    TRY(writeFiles(r, !changed));
    if (auto st = rereservePorts(s); !st)
        log::warn("network: sandbox {}: {}", r.spec.containerId, st.error().str());
    return {};
}

// A sandbox that cannot be restored: remove its veths, netns and record; its addresses were
// never (or are no longer) reserved.
void Manager::Impl::dropSandboxLeftovers(const SandboxRecord& r) {
    for (const auto& ep : r.endpoints) detachEndpoint(ep);
    if (r.kind == "bridge" || r.kind == "none")
        if (auto st = removeNetns(r.netnsPath); !st)
            log::warn("network: {}", st.error().str());
    if (auto st = store.removeSandbox(r.spec.containerId); !st)
        log::warn("network: {}", st.error().str());
}

void Manager::Impl::removeOrphans() {
    std::set<std::string> vethsInUse, bridgesInUse, netnsInUse;
    for (const auto& [id, n] : nets) bridgesInUse.insert(n.info.bridge);
    for (const auto& [id, s] : sbs) {
        for (const auto& ep : s.rec.endpoints) vethsInUse.insert(ep.hostIf);
        if (s.rec.kind == "bridge" || s.rec.kind == "none") netnsInUse.insert(s.rec.netnsPath);
    }
    if (auto links = nl.links(); links) {
        for (const auto& l : *links) {
            bool orphan = (l.kind == "veth" && startsWith(l.name, kVethPrefix) &&
                           !vethsInUse.count(l.name)) ||
                          (l.kind == "bridge" && startsWith(l.name, kBridgePrefix) &&
                           !bridgesInUse.count(l.name));
            if (!orphan) continue;
            log::info("network: removing orphan {} {}", l.kind, l.name);
            if (auto st = nl.deleteLink(l.name); !st && st.error().code != ENODEV)
                log::warn("network: {}", st.error().str());
        }
    } else {
        log::warn("network: list links: {}", links.error().str());
    }
    for (const auto& name : listDir(opts.runDir + "/netns")) {
        if (netnsInUse.count(opts.runDir + "/netns/" + name)) continue;
        log::info("network: removing orphan netns {}", name);
        if (auto st = removeNetns(opts.runDir + "/netns/" + name); !st)
            log::warn("network: {}", st.error().str());
    }
    for (const auto& id : store.sandboxDirs()) {
        if (sbs.count(id)) continue;
        if (auto st = store.removeSandbox(id); !st) log::warn("network: {}", st.error().str());
    }
}

}  // namespace berth::net
