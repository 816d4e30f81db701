#include "cli/verbs/sys_net.h"

#include <arpa/inet.h>

#include <cstring>

#include <nlohmann/json.hpp>

namespace berth::cli {

using nlohmann::json;

namespace {

// Address bytes (4 or 16) of text; empty when not an address.
std::vector<uint8_t> parseAddr(const std::string& s) {
    uint8_t buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return {buf, buf + 4};
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return {buf, buf + 16};
    return {};
}

}  // namespace

Result<bool> sysSubnetContains(const std::string& subnet, const std::string& ip) {
    auto slash = subnet.find('/');
    if (slash == std::string::npos) return invalid("invalid CIDR address: {}", subnet);
    auto net = parseAddr(subnet.substr(0, slash));
    char* end = nullptr;
    long bits = std::strtol(subnet.c_str() + slash + 1, &end, 10);
    if (net.empty() || *end || bits < 0 || bits > static_cast<long>(net.size() * 8))
        return invalid("invalid CIDR address: {}", subnet);
    auto addr = parseAddr(ip.substr(0, ip.find('/')));
    if (addr.size() != net.size()) return false;
    for (long b = 0; b < bits; b++) {
        uint8_t mask = static_cast<uint8_t>(0x80 >> (b % 8));
        if ((net[b / 8] & mask) != (addr[b / 8] & mask)) return false;
    }
    return true;
}

Result<json> sysIpamConfig(const std::vector<std::string>& subnets,
                           const std::vector<std::string>& ranges,
                           const std::vector<std::string>& gateways,
                           const std::vector<std::string>& auxAddresses) {
    if (subnets.size() < ranges.size() || subnets.size() < gateways.size())
        return invalid("every ip-range or gateway must have a corresponding subnet");
    json cfg = json::array();
    for (auto& s : subnets) {
        for (auto& c : cfg)
            if (c["Subnet"] == s)
                return invalid("multiple overlapping subnet configuration is not allowed");
        cfg.push_back({{"Subnet", s}});
    }
    auto place = [&](const std::string& v, const char* key, const char* what) -> Status {
        for (auto& c : cfg) {
            if (!TRY(sysSubnetContains(c["Subnet"].get<std::string>(), v))) continue;
            if (c.contains(key))
                return invalid("cannot configure multiple {} ({}, {}) on the same subnet ({})",
                               std::string(key) == "IPRange" ? "ranges" : "gateways",
                               c[key].get<std::string>(), v, c["Subnet"].get<std::string>());
            c[key] = v;
            return okStatus();
        }
        return invalid("no matching subnet for {} {}", what, v);
    };
    for (auto& r : ranges) TRY(place(r, "IPRange", "range"));
    for (auto& g : gateways) TRY(place(g, "Gateway", "gateway"));
    for (auto& a : auxAddresses) {
        auto eq = a.find('=');
        if (eq == std::string::npos) return invalid("invalid aux-address {}: expected name=ip", a);
        std::string name = a.substr(0, eq), ip = a.substr(eq + 1);
        bool placed = false;
        for (auto& c : cfg) {
            if (!TRY(sysSubnetContains(c["Subnet"].get<std::string>(), ip))) continue;
            c["AuxiliaryAddresses"][name] = ip;
            placed = true;
            break;
        }
        if (!placed) return invalid("no matching subnet for aux-address {}", ip);
    }
    return cfg;
}

}  // namespace berth::cli
