// Networks: validation and IPAM of a NetworkSpec, the bridge in the kernel, create/remove.
#include <chrono>
#include <ctime>

#include "common/log.h"
#include "common/scope_guard.h"
#include "network/manager_impl.h"
#include "network/sysctl.h"

namespace berth::net {

namespace {

constexpr const char* kOptBridgeName = "com.docker.network.bridge.name";
constexpr const char* kOptIcc = "com.docker.network.bridge.enable_icc";
constexpr const char* kOptMasquerade = "com.docker.network.bridge.enable_ip_masquerade";
constexpr const char* kOptMtu = "com.docker.network.driver.mtu";
constexpr const char* kOptDefault = "com.docker.network.bridge.default_bridge";

std::string nowRfc3339() {
    auto now = std::chrono::system_clock::now();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:09}Z", buf, ns % 1000000000);
}

Result<bool> boolOption(const std::map<std::string, std::string>& o, const char* key, bool def) {
    auto it = o.find(key);
    if (it == o.end()) return def;
    if (it->second == "true" || it->second == "1") return true;
    if (it->second == "false" || it->second == "0") return false;
    return invalid("option {}: invalid boolean {:?}", key, it->second);
}

bool validBridgeName(const std::string& s) {
    if (s.empty() || s.size() > 15) return false;
    for (char c : s)
        if (c == '/' || c == ':' || c <= ' ' || c == '"' || c == '\\') return false;
    return true;
}

}  // namespace

// Everything but the kernel: the subnets (given or from the pools), gateways, options.
Result<NetState> Manager::Impl::buildNetwork(const NetworkSpec& spec, const std::string& id) {
    NetState n;
    n.info.id = id;
    n.info.name = spec.name;
    n.info.driver = spec.driver.empty() ? "bridge" : spec.driver;
    n.info.created = nowRfc3339();
    n.info.internal = spec.internal;
    n.info.attachable = spec.attachable;
    n.info.options = spec.options;
    n.info.labels = spec.labels;
    n.info.enableIPv6 = spec.enableIPv6;

    std::vector<Prefix> used;
    for (const auto& [oid, o] : nets) {
        if (o.v4) used.push_back(o.v4->subnet());
        if (o.v6) used.push_back(o.v6->subnet());
    }
    const IpamConfig* cfg4 = nullptr;
    const IpamConfig* cfg6 = nullptr;
    for (const auto& c : spec.ipam) {
        if (c.subnet.empty() && (!c.ipRange.empty() || !c.gateway.empty()))
            return invalid("ip-range and gateway need a subnet");
        bool v6 = c.subnet.find(':') != std::string::npos;
        const IpamConfig*& slot = v6 ? cfg6 : cfg4;
        if (slot) return invalid("only one IPv{} subnet per network is supported", v6 ? 6 : 4);
        slot = &c;
    }
    if (cfg6) n.info.enableIPv6 = true;

    auto family = [&](const IpamConfig* c, bool v6) -> Result<AddressSpace> {
        Prefix subnet;
        std::optional<Prefix> range;
        IpAddr gw;
        if (c && !c->subnet.empty()) {
            subnet = TRY(Prefix::parse(c->subnet));
            if (!subnet.isNetwork())
                return invalid("invalid subnet {}: it should be {}", c->subnet,
                               subnet.masked().str());
            if (auto o = findOverlap(subnet, used))
                return makeError(EEXIST,
                                 "invalid pool request: Pool overlaps with other one on this "
                                 "address space ({} overlaps {})",
                                 subnet.str(), o->str());
            if (subnet.addr.bits() - subnet.len < 2)
                return invalid("subnet {} is too small for a network", subnet.str());
            if (!c->ipRange.empty()) range = TRY(Prefix::parse(c->ipRange));
            if (!c->gateway.empty()) {
                gw = TRY_CTX(IpAddr::parse(c->gateway), "invalid gateway");
                if (gw.family != subnet.addr.family || !subnet.contains(gw))
                    return invalid("gateway {} is not inside subnet {}", c->gateway, c->subnet);
            }
        } else if (v6) {
            subnet = TRY(allocateUlaSubnet(ula48, used));
        } else {
            subnet = TRY(allocateSubnet(pools, used));
        }
        if (!gw.valid()) gw = subnet.at(1);
        auto space = TRY(AddressSpace::make(subnet, range, gw));
        used.push_back(subnet);
        IpamConfig out{subnet.str(), range ? range->str() : "", gw.str()};
        n.info.ipam.push_back(out);
        return space;
    };
    if (n.bridged()) {
        n.v4 = TRY(family(cfg4, false));
        if (n.info.enableIPv6) n.v6 = TRY(family(cfg6, true));
    }
    return n;
}

// Options -> NetState fields; also used for records read back at start.
Result<NetState> Manager::Impl::stateFromRecord(const NetworkInfo& info) {
    NetState n;
    n.info = info;
    n.info.containers.clear();
    n.predefined = info.name == "bridge" || info.name == "host" || info.name == "none";
    n.isDefault = info.name == "bridge";
    n.icc = TRY(boolOption(info.options, kOptIcc, true));
    n.masquerade = TRY(boolOption(info.options, kOptMasquerade, true));
    n.mtu = opts.mtu;
    if (auto it = info.options.find(kOptMtu); it != info.options.end()) {
        try {
            n.mtu = std::stoi(it->second);
        } catch (const std::exception&) {
            return invalid("option {}: invalid MTU {:?}", kOptMtu, it->second);
        }
        if (n.mtu < 68 || n.mtu > 65535) return invalid("invalid MTU {}", n.mtu);
    }
    if (!n.bridged()) return n;
    for (const auto& c : info.ipam) {
        auto subnet = TRY(Prefix::parse(c.subnet));
        std::optional<Prefix> range;
        if (!c.ipRange.empty()) range = TRY(Prefix::parse(c.ipRange));
        auto gw = TRY(IpAddr::parse(c.gateway));
        auto space = TRY(AddressSpace::make(subnet, range, gw));
        (subnet.addr.isV4() ? n.v4 : n.v6) = std::move(space);
    }
    if (!n.v4) return invalid("network {} has no IPv4 subnet", info.name);
    return n;
}

Status Manager::Impl::ensureBridge(NetState& n) {
    const std::string& br = n.info.bridge;
    auto idx = nl.linkIndex(br);
    if (!idx && idx.error().code == ENODEV) {
        TRY(nl.createBridge(br, n.mtu, randomMac()));
        idx = nl.linkIndex(br);
    }
    if (!idx) return std::move(idx).error();
    n.bridgeIndex = *idx;
    if (n.v6) {
        // As in the sandboxes: no DAD, so the bridge's link-local address is usable at once.
        auto st = writeProcSys(fmt::format("net/ipv6/conf/{}/accept_dad", br), "0");
        if (!st) log::warn("network {}: {}", n.info.name, st.error().str());
    }
    TRY(nl.addAddress(n.bridgeIndex, Prefix{n.v4->gateway(), n.v4->subnet().len}));
    if (n.v6) TRY(nl.addAddress(n.bridgeIndex, Prefix{n.v6->gateway(), n.v6->subnet().len}));
    TRY(nl.setUp(n.bridgeIndex));
    return {};
}

void Manager::Impl::deleteBridge(const NetState& n) {
    auto st = nl.deleteLink(n.info.bridge);
    if (!st && st.error().code != ENODEV)
        log::warn("network {}: {}", n.info.name, st.error().str());
}

Result<NetworkInfo> Manager::Impl::createNetworkLocked(const NetworkSpec& spec) {
    if (!validId(spec.name)) return invalid("invalid network name {:?}", spec.name);
    for (const auto& [id, n] : nets)
        if (n.info.name == spec.name)
            return Error{EEXIST, fmt::format("network with name {} already exists", spec.name),
                         true};
    if (spec.driver == "host" || spec.driver == "null")
        return Error{EPERM, fmt::format("only one instance of \"{}\" network is allowed",
                                        spec.driver == "null" ? "none" : "host"), true};
    if (!spec.driver.empty() && spec.driver != "bridge")
        return Error{ENOENT, fmt::format("network driver {:?} is not supported", spec.driver),
                     true};

    std::string id;
    do id = randomHex(64);
    while (nets.count(id));
    NetState n = TRY_CTX(buildNetwork(spec, id), "create network {}", spec.name);
    NetworkInfo& info = n.info;
    if (auto it = info.options.find(kOptBridgeName); it != info.options.end()) {
        if (!validBridgeName(it->second)) return invalid("invalid bridge name {:?}", it->second);
        info.bridge = it->second;
    } else {
        info.bridge = "berth-" + id.substr(0, 9);
    }
    for (const auto& [oid, o] : nets)
        if (o.info.bridge == info.bridge)
            return Error{EEXIST, fmt::format("bridge {} is used by network {}", info.bridge,
                                             o.info.name), true};
    {
        auto checked = TRY_CTX(stateFromRecord(info), "create network {}", spec.name);
        n.mtu = checked.mtu;
        n.icc = checked.icc;
        n.masquerade = checked.masquerade;
    }

    // Record first: a crash from here on leaves a record that open() completes.
    TRY(store.saveNetwork({info}));
    ScopeGuard unrecord([&] { (void)store.removeNetwork(id); });
    std::string bridge = info.bridge;
    ScopeGuard unbridge([&] { (void)nl.deleteLink(bridge); });
    TRY_CTX(ensureBridge(n), "create network {}", spec.name);
    auto it = nets.emplace(id, std::move(n)).first;
    if (auto st = syncFirewall(); !st) {
        nets.erase(it);
        (void)syncFirewall();  // back to the rules without this network
        return std::move(st).error().wrap(fmt::format("create network {}", spec.name));
    }
    unbridge.cancel();
    unrecord.cancel();
    log::info("network: created {} ({}, bridge {})", spec.name, it->second.info.ipam[0].subnet,
              it->second.info.bridge);
    return describe(it->second);
}

Status Manager::Impl::removeNetworkLocked(NetState& n) {
    if (n.predefined)
        return Error{EPERM, fmt::format("{} is a pre-defined network and cannot be removed",
                                        n.info.name), true};
    for (const auto& [cid, s] : sbs)
        for (const auto& ep : s.rec.endpoints)
            if (ep.info.networkId == n.info.id)
                return Error{EBUSY,
                             fmt::format("error while removing network: network {} id {} has "
                                         "active endpoints",
                                         n.info.name, n.info.id),
                             true};
    TRY_CTX(store.removeNetwork(n.info.id), "remove network {}", n.info.name);
    NetState gone = std::move(n);
    nets.erase(gone.info.id);
    auto st = syncFirewall();
    deleteBridge(gone);
    if (!st) return std::move(st).error().wrap(fmt::format("remove network {}", gone.info.name));
    return {};
}

// "bridge" (the default bridge network), "host" and "none", created on first open.
Status Manager::Impl::ensureDefaultNetworks() {
    auto byName = [&](const std::string& name) -> NetState* {
        for (auto& [id, n] : nets)
            if (n.info.name == name) return &n;
        return nullptr;
    };
    for (const char* name : {"bridge", "host", "none"}) {
        if (byName(name)) continue;
        NetworkInfo info;
        info.id = randomHex(64);
        info.name = name;
        info.created = nowRfc3339();
        if (std::string(name) == "bridge") {
            NetworkSpec spec;
            spec.name = name;
            spec.ipam.push_back({opts.defaultSubnet, "", ""});
            spec.enableIPv6 = opts.defaultIPv6;
            auto n = TRY_CTX(buildNetwork(spec, info.id), "default bridge network");
            info = n.info;
            info.bridge = opts.defaultBridge;
            info.options = {{kOptDefault, "true"},
                            {kOptIcc, "true"},
                            {kOptMasquerade, "true"},
                            {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
                            {kOptBridgeName, opts.defaultBridge},
                            {kOptMtu, std::to_string(opts.mtu)}};
        } else {
            info.driver = std::string(name) == "host" ? "host" : "null";
        }
        TRY(store.saveNetwork({info}));
        auto n = TRY(stateFromRecord(info));
        nets.emplace(info.id, std::move(n));
    }
    return {};
}

}  // namespace berth::net
