// The nft script for a FirewallState. Everything user-controlled that lands in the script
// (bridge names, addresses) is validated and printed back from parsed values, so the text cannot
// be bent into other commands.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "network/addr.h"
#include "network/firewall.h"

namespace berth::net {
namespace {

bool validName(std::string_view n, size_t max) {
    if (n.empty() || n.size() > max) return false;
    for (char c : n)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

Status validProto(const std::string& p) {
    if (p == "tcp" || p == "udp" || p == "sctp") return okStatus();
    return invalid("unsupported protocol '{}'", p);
}

// One family's share of the state, validated and normalized.
struct FamNet {
    std::string bridge;
    std::vector<std::string> subnets;
    bool internal = false, masquerade = true;
};
struct FamPort {
    std::string proto, hostIp /* "" = any */, containerIp, bridge;
    uint16_t hostPort = 0, containerPort = 0;
};
struct FamService {
    std::string vip, proto;
    uint16_t port = 0;
    std::vector<std::pair<std::string, uint16_t>> backends;
};
struct Family {
    bool v6 = false;
    std::vector<FamNet> nets;
    std::vector<FamPort> ports;
    std::vector<FamService> services;

    const char* table() const { return v6 ? "ip6" : "ip"; }
    const char* kw() const { return v6 ? "ip6" : "ip"; }  // address match keyword
    const char* addrType() const { return v6 ? "ipv6_addr" : "ipv4_addr"; }
    // Whether the family's table exists. Not decided by ports (a port needs a network with an
    // address of its family anyway), so port changes never add or remove a table.
    bool hasTable() const {
        if (!v6) return true;
        for (auto& n : nets)
            if (!n.subnets.empty()) return true;
        return !services.empty();
    }
};

Result<IpAddr> parseAddr(const std::string& s, const char* what) {
    auto a = IpAddr::parse(s);
    if (!a) return invalid("bad {} address '{}'", what, s);
    return *a;
}

Status split(const FirewallState& s, Family& v4, Family& v6) {
    std::set<std::string> bridges;
    for (auto& n : s.networks) {
        if (!validName(n.bridge, 15)) return invalid("bad bridge name '{}'", n.bridge);
        if (!bridges.insert(n.bridge).second) return invalid("bridge '{}' listed twice", n.bridge);
        FamNet a{n.bridge, {}, n.internal, n.masquerade}, b = a;
        for (auto& sub : n.subnets4) {
            auto p = Prefix::parse(sub);
            if (!p || !p->addr.isV4()) return invalid("bad IPv4 subnet '{}'", sub);
            a.subnets.push_back(p->masked().str());
        }
        for (auto& sub : n.subnets6) {
            auto p = Prefix::parse(sub);
            if (!p || p->addr.isV4()) return invalid("bad IPv6 subnet '{}'", sub);
            b.subnets.push_back(p->masked().str());
        }
        v4.nets.push_back(std::move(a));
        v6.nets.push_back(std::move(b));
    }
    std::set<std::tuple<std::string, std::string, uint16_t>> seen;
    for (auto& p : s.ports) {
        TRY_CTX(validProto(p.proto), "port {}", p.hostPort);
        if (p.hostPort == 0 || p.containerPort == 0)
            return invalid("port binding {}->{}: port 0", p.hostPort, p.containerPort);
        if (!bridges.count(p.bridge))
            return invalid("port {}: bridge '{}' is not a network's", p.hostPort, p.bridge);
        IpAddr c = TRY(parseAddr(p.containerIp, "container"));
        FamPort fp{p.proto, "", c.str(), p.bridge, p.hostPort, p.containerPort};
        if (!p.hostIp.empty()) {
            IpAddr h = TRY(parseAddr(p.hostIp, "host"));
            if (h.family != c.family)
                return invalid(
                    "port {}: host address {} and container address {} differ in "
                    "family",
                    p.hostPort, p.hostIp, p.containerIp);
            if (h != IpAddr{h.family, {}}) fp.hostIp = h.str();  // 0.0.0.0 / :: = any
        }
        // nft would take both rules and the second would never match; the kernel catches
        // other duplicates (service VIPs) itself.
        if (!seen.insert({fp.proto, fp.hostIp.empty() ? (c.isV4() ? "0.0.0.0" : "::") : fp.hostIp,
                          fp.hostPort})
                 .second)
            return invalid("host port {}/{} published twice", p.hostPort, p.proto);
        Family& fam = c.isV4() ? v4 : v6;
        auto net = std::find_if(fam.nets.begin(), fam.nets.end(),
                                [&](const FamNet& n) { return n.bridge == p.bridge; });
        if (net->subnets.empty())
            return invalid(
                "port {}: container address {} but bridge '{}' has no subnet of its "
                "family",
                p.hostPort, p.containerIp, p.bridge);
        fam.ports.push_back(std::move(fp));
    }
    for (auto& sv : s.services) {
        TRY_CTX(validProto(sv.proto), "service {}", sv.vip);
        IpAddr vip = TRY(parseAddr(sv.vip, "service"));
        if (sv.port == 0) return invalid("service {}: port 0", sv.vip);
        FamService f{vip.str(), sv.proto, sv.port, {}};
        for (auto& b : sv.backends) {
            IpAddr a = TRY(parseAddr(b.ip, "backend"));
            if (a.family != vip.family || b.port == 0)
                return invalid("service {}: bad backend {}:{}", sv.vip, b.ip, b.port);
            f.backends.emplace_back(a.str(), b.port);
        }
        (vip.isV4() ? v4 : v6).services.push_back(std::move(f));
    }
    return okStatus();
}

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

void renderForward(const Family& f, std::string& o) {
    o += "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n";
    // Most packets belong to flows the rules below already let through: decide them first.
    // (An accept here only ends this chain; other tables still see the packet.)
    o += "\t\tct state established,related accept\n";
    for (auto& n : f.nets) {
        if (!n.internal) continue;
        auto b = quoted(n.bridge);
        o += fmt::format("\t\tiifname {0} oifname != {0} drop\n", b);
        o += fmt::format("\t\toifname {0} iifname != {0} drop\n", b);
    }
    if (!f.nets.empty()) {
        o += "\t\toifname @bridges ct status dnat accept\n";
        o += "\t\tiifname . oifname { ";
        for (size_t i = 0; i < f.nets.size(); i++)
            o += fmt::format("{0}{1} . {1}", i ? ", " : "", quoted(f.nets[i].bridge));
        o += " } accept\n";
        o += "\t\toifname @bridges drop\n";
    }
    o += "\t}\n";
}

constexpr const char* kProtos[] = {"tcp", "udp", "sctp"};

// The elements of one port map: pub_ip_<proto> (bindings to one host address) or pub_any_<proto>.
std::string portElements(const Family& f, const char* proto, bool specific) {
    std::string els;
    for (auto& p : f.ports) {
        if (p.proto != proto || p.hostIp.empty() == specific) continue;
        if (!els.empty()) els += ", ";
        if (specific) els += p.hostIp + " . ";
        els += fmt::format("{} : {} . {}", p.hostPort, p.containerIp, p.containerPort);
    }
    return els;
}

// Published ports are map elements, not rules: one lookup per protocol and kind of binding
// however many ports there are, cheap for nft to load, and replaceable on their own (see
// renderPortUpdate). The maps always exist, empty or not.
void renderPublished(const Family& f, std::string& o) {
    std::string chain;
    for (const char* proto : kProtos) {
        for (bool specific : {true, false}) {
            std::string els = portElements(f, proto, specific);
            o +=
                fmt::format("\tmap pub_{0}_{1} {{\n\t\ttype {2}inet_service : {3} . inet_service\n",
                            specific ? "ip" : "any", proto,
                            specific ? std::string(f.addrType()) + " . " : "", f.addrType());
            if (!els.empty()) o += "\t\telements = { " + els + " }\n";
            o += "\t}\n";
        }
        // A binding to one address wins over one to all addresses of the same port.
        chain += fmt::format(
            "\t\tmeta l4proto {0} dnat {1} to {1} daddr . {0} dport map "
            "@pub_ip_{0}\n",
            proto, f.kw());
        chain += fmt::format("\t\tmeta l4proto {0} dnat {1} to {0} dport map @pub_any_{0}\n", proto,
                             f.kw());
    }
    // DNAT only towards local addresses (the jump checks): a container's traffic to a remote
    // host's port 80 must not be caught by a binding of port 80.
    o += "\tchain published {\n" + chain + "\t}\n";
}

void renderNat(const Family& f, std::string& o) {
    renderPublished(f, o);

    bool svc = !f.services.empty();
    if (svc) {
        o += fmt::format(
            "\tmap service_vips {{\n\t\ttype {} . inet_proto . inet_service : "
            "verdict\n\t\telements = {{ ",
            f.addrType());
        for (size_t i = 0; i < f.services.size(); i++) {
            auto& s = f.services[i];
            o += fmt::format("{}{} . {} . {} : goto svc-{}", i ? ", " : "", s.vip, s.proto, s.port,
                             i);
        }
        o += " }\n\t}\n\tchain services {\n";
        o += fmt::format("\t\t{} daddr . meta l4proto . th dport vmap @service_vips\n", f.kw());
        o += "\t}\n";
        for (size_t i = 0; i < f.services.size(); i++) {
            auto& s = f.services[i];
            o += fmt::format("\tchain svc-{} {{\n", i);
            if (s.backends.empty()) {
                o += "\t\tdrop\n";
            } else {
                o += fmt::format("\t\tmeta l4proto {} dnat {} to numgen random mod {} map {{ ",
                                 s.proto, f.kw(), s.backends.size());
                for (size_t j = 0; j < s.backends.size(); j++)
                    o += fmt::format("{}{} : {} . {}", j ? ", " : "", j, s.backends[j].first,
                                     s.backends[j].second);
                o += " }\n";
            }
            o += "\t}\n";
        }
    }

    for (auto [chain, hook, prio] : {std::tuple{"prerouting", "prerouting", "dstnat"},
                                     std::tuple{"output", "output", "-100"}}) {
        o += fmt::format("\tchain {} {{\n\t\ttype nat hook {} priority {}; policy accept;\n", chain,
                         hook, prio);
        if (svc) o += "\t\tjump services\n";
        o += "\t\tfib daddr type local jump published\n\t}\n";
    }

    o += "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
    for (auto& n : f.nets) {
        auto b = quoted(n.bridge);
        if (!n.internal && n.masquerade)
            for (auto& s : n.subnets)
                o += fmt::format("\t\t{} saddr {} oifname != {} masquerade\n", f.kw(), s, b);
        // Hairpin: DNAT'ed traffic from the bridge's own subnet back into it; the reply must
        // come back through us to be un-NATed. (No iifname here: postrouting has no input
        // device.)
        for (auto& s : n.subnets)
            o +=
                fmt::format("\t\toifname {} {} saddr {} ct status dnat masquerade\n", b, f.kw(), s);
    }
    if (!f.v6 && !f.nets.empty()) o += "\t\toifname @bridges ip saddr 127.0.0.0/8 masquerade\n";
    o += "\t}\n";
}

void renderFamily(const Family& f, const std::string& table, std::string& o) {
    o += fmt::format("table {0} {1}\ndelete table {0} {1}\n", f.table(), table);
    if (!f.hasTable()) return;  // no IPv6 in use: no ip6 table at all
    o += fmt::format("table {} {} {{\n", f.table(), table);
    o += "\tset bridges {\n\t\ttype ifname\n";
    if (!f.nets.empty()) {
        o += "\t\telements = { ";
        for (size_t i = 0; i < f.nets.size(); i++) o += (i ? ", " : "") + quoted(f.nets[i].bridge);
        o += " }\n";
    }
    o += "\t}\n";
    renderForward(f, o);
    renderNat(f, o);
    o += "}\n";
}

}  // namespace

Result<std::string> renderRuleset(const FirewallState& s, const std::string& table) {
    if (!validName(table, 64)) return invalid("bad table name '{}'", table);
    Family v4, v6;
    v6.v6 = true;
    TRY(split(s, v4, v6));
    std::string o;
    renderFamily(v4, table, o);
    renderFamily(v6, table, o);
    return o;
}

Result<std::string> renderPortUpdate(const FirewallState& s, const std::string& table) {
    if (!validName(table, 64)) return invalid("bad table name '{}'", table);
    Family v4, v6;
    v6.v6 = true;
    TRY(split(s, v4, v6));
    std::string o;
    for (const Family* f : {&v4, &v6}) {
        if (!f->hasTable()) continue;
        for (const char* proto : kProtos)
            for (bool specific : {true, false}) {
                std::string map = fmt::format("{} {} pub_{}_{}", f->table(), table,
                                              specific ? "ip" : "any", proto);
                o += "flush map " + map + "\n";
                std::string els = portElements(*f, proto, specific);
                if (!els.empty()) o += "add element " + map + " { " + els + " }\n";
            }
    }
    return o;
}

std::string renderRemoval(const std::string& table) {
    return fmt::format("table ip {0}\ndelete table ip {0}\ntable ip6 {0}\ndelete table ip6 {0}\n",
                       table);
}

}  // namespace berth::net
