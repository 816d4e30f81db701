#include "network/port_spec.h"

#include <charconv>

namespace berth::net {

Result<PortRange> parsePortRange(std::string_view s, std::string_view spec) {
    auto num = [&](std::string_view t) -> Result<uint16_t> {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v == 0 || v > 65535)
            return invalid("invalid port {:?} in {:?}", t, spec);
        return static_cast<uint16_t>(v);
    };
    PortRange r;
    auto dash = s.find('-');
    r.first = TRY(num(s.substr(0, dash)));
    r.last = dash == std::string_view::npos ? r.first : TRY(num(s.substr(dash + 1)));
    if (r.last < r.first) return invalid("invalid port range {:?} in {:?}", s, spec);
    return r;
}

Result<std::vector<PortBinding>> parsePortSpec(std::string_view spec) {
    std::string_view rest = spec;
    std::string proto = "tcp";
    if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
        proto = std::string(rest.substr(slash + 1));
        rest = rest.substr(0, slash);
        if (proto != "tcp" && proto != "udp" && proto != "sctp")
            return invalid("invalid protocol {:?} in {:?}", proto, spec);
    }
    std::string hostIp;
    if (!rest.empty() && rest[0] == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            return invalid("invalid port spec {:?}", spec);
        hostIp = std::string(rest.substr(1, close - 1));
        rest = rest.substr(close + 2);
    } else if (auto c1 = rest.find(':');
               c1 != std::string_view::npos && rest.find(':', c1 + 1) != std::string_view::npos) {
        hostIp = std::string(rest.substr(0, c1));
        rest = rest.substr(c1 + 1);
    }
    std::string_view hostPart, ctrPart = rest;
    if (auto c = rest.find(':'); c != std::string_view::npos) {
        hostPart = rest.substr(0, c);
        ctrPart = rest.substr(c + 1);
    }
    PortRange ctr = TRY(parsePortRange(ctrPart, spec));
    PortRange host;
    if (!hostPart.empty()) host = TRY(parsePortRange(hostPart, spec));
    std::vector<PortBinding> out;
    unsigned n = ctr.last - ctr.first + 1u;
    bool oneToOne = hostPart.empty() || host.last - host.first + 1u == n;
    if (!oneToOne && n != 1)
        return invalid("invalid port spec {:?}: host and container ranges differ in size", spec);
    for (unsigned i = 0; i < n; i++) {
        PortBinding b;
        b.proto = proto;
        b.hostIp = hostIp;
        b.containerPort = static_cast<uint16_t>(ctr.first + i);
        if (!hostPart.empty()) {
            if (oneToOne) {
                b.hostPort = static_cast<uint16_t>(host.first + i);
            } else {
                b.hostPort = host.first;
                b.hostPortEnd = host.last;
            }
        }
        out.push_back(b);
    }
    return out;
}

}  // namespace berth::net
