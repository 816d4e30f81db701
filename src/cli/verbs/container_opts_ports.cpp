// Published and exposed ports: -p/--publish specs (docker's nat.ParsePortSpecs) and --expose.
#include "cli/verbs/container_opts_internal.h"

namespace berth::cli {

using copts::isIp;
using copts::lower;
using copts::parseUint;
using copts::split;

namespace {

struct PortRange {
    uint64_t start = 0, end = 0;
};

Result<PortRange> portRange(std::string_view s) {
    if (s.empty()) return invalid("empty string specified for ports");
    auto dash = s.find('-');
    if (dash == std::string_view::npos) {
        auto p = TRY(parseUint(s, 16));
        return PortRange{p, p};
    }
    auto a = TRY(parseUint(s.substr(0, dash), 16));
    auto b = TRY(parseUint(s.substr(dash + 1), 16));
    if (b < a) return invalid("invalid range specified for container and host Ports: {}", s);
    return PortRange{a, b};
}

// nat.SplitProtoPort
std::pair<std::string, std::string> splitProtoPort(std::string_view raw) {
    auto parts = split(raw, '/');
    if (raw.empty() || parts[0].empty()) return {"", ""};
    if (parts.size() == 1) return {"tcp", std::string(raw)};
    if (parts[1].empty()) return {"tcp", parts[0]};
    return {parts[1], parts[0]};
}

}  // namespace

Status parsePublish(const std::vector<std::string>& specs, std::map<std::string, int>& exposed,
                    std::map<std::string, std::vector<PortBinding>>& bindings) {
    for (auto& spec0 : specs) {
        std::string spec = spec0;
        if (spec.find('=') != std::string::npos) {
            std::map<std::string, std::string> params{{"protocol", "tcp"}};
            for (auto& p : split(spec, ',')) {
                auto eq = p.find('=');
                if (eq == std::string::npos || eq == 0)
                    return invalid(
                        "invalid publish opts format (should be name=value but got "
                        "'{}')",
                        p);
                params[p.substr(0, eq)] = p.substr(eq + 1);
            }
            spec = params["published"] + ":" + params["target"] + "/" + params["protocol"];
        }
        auto parts = split(spec, ':');
        size_t n = parts.size();
        std::string ip, hostPort, ctr = parts[n - 1];
        if (n == 2) hostPort = parts[0];
        if (n == 3) {
            ip = parts[0];
            hostPort = parts[1];
        }
        if (n > 3) {
            for (size_t i = 0; i + 2 < n; i++) ip += (i ? ":" : "") + parts[i];
            hostPort = parts[n - 2];
        }
        auto [proto, ctrPort] = splitProtoPort(ctr);
        if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']')
            ip = ip.substr(1, ip.size() - 2);
        if (!ip.empty() && !isIp(ip)) return invalid("invalid IP address: {}", ip);
        if (ctrPort.empty()) return invalid("no port specified: {}<empty>", spec);
        auto cr = portRange(ctrPort);
        if (!cr) return invalid("invalid containerPort: {}", ctrPort);
        PortRange hr;
        if (!hostPort.empty()) {
            auto h = portRange(hostPort);
            if (!h) return invalid("invalid hostPort: {}", hostPort);
            hr = *h;
            if (hr.end - hr.start != cr->end - cr->start && cr->end != cr->start)
                return invalid("invalid ranges specified for container and host Ports: {} and {}",
                               ctrPort, hostPort);
        }
        std::string pl = lower(proto);
        if (pl != "tcp" && pl != "udp" && pl != "sctp") return invalid("invalid proto: {}", proto);
        for (uint64_t i = 0; i <= cr->end - cr->start; i++) {
            std::string port = std::to_string(cr->start + i) + "/" + pl;
            std::string hp;
            if (!hostPort.empty()) {
                hp = std::to_string(hr.start + i);
                if (cr->start == cr->end && hr.start != hr.end)
                    hp = fmt::format("{}-{}", hr.start, hr.end);
            }
            exposed[port] = 1;
            bindings[port].push_back({ip, hp});
        }
    }
    return {};
}

Result<std::vector<std::string>> parseExpose(std::string_view spec) {
    auto [proto, ports] = splitProtoPort(spec);
    auto r = portRange(ports);
    if (!r) return invalid("invalid range format for --expose: {}, error: {}", spec, r.error().msg);
    std::vector<std::string> out;
    for (uint64_t p = r->start; p <= r->end; p++)
        out.push_back(fmt::format("{}/{}", p, lower(proto)));
    return out;
}

}  // namespace berth::cli
