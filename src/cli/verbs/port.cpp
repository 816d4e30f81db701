// `berth port`: list port mappings or a specific mapping for the container.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

// net.JoinHostPort: IPv6 hosts in brackets.
std::string joinHostPort(const std::string& host, const std::string& port) {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
    return host + ":" + port;
}

// sortorder.NaturalLess: digit runs compare as numbers.
bool naturalLess(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            size_t si = i, sj = j;
            while (si < a.size() && a[si] == '0') ++si;
            while (sj < b.size() && b[sj] == '0') ++sj;
            size_t ei = si, ej = sj;
            while (ei < a.size() && digit(a[ei])) ++ei;
            while (ej < b.size() && digit(b[ej])) ++ej;
            if (ei - si != ej - sj) return ei - si < ej - sj;
            auto na = a.substr(si, ei - si), nb = b.substr(sj, ej - sj);
            if (na != nb) return na < nb;
            if (ei - i != ej - j) return ei - i < ej - j;  // fewer leading zeros first
            i = ei;
            j = ej;
            continue;
        }
        if (a[i] != b[j]) return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

Result<int> runPort(Ctx& ctx, const Flags& f) {
    const std::string& name = f.args()[0];
    json c = TRY(infoInspectContainer(ctx, name));
    json ports = json::object();
    if (c.contains("NetworkSettings") && c["NetworkSettings"].is_object() &&
        c["NetworkSettings"].contains("Ports") && c["NetworkSettings"]["Ports"].is_object())
        ports = c["NetworkSettings"]["Ports"];
    auto binding = [](const json& b) {
        return joinHostPort(b.value("HostIp", ""), b.value("HostPort", ""));
    };
    std::vector<std::string> out;
    if (f.args().size() > 1) {
        const std::string& spec = f.args()[1];
        std::string port = spec, proto = "tcp";
        if (auto slash = spec.find('/'); slash != std::string::npos) {
            port = spec.substr(0, slash);
            proto = spec.substr(slash + 1);
            if (proto.empty()) proto = "tcp";
        }
        bool valid =
            !port.empty() && port.size() <= 5 &&
            std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
            std::stol(port) <= 65535;
        if (!valid) {
            std::string why =
                port.find_first_not_of("0123456789") == std::string::npos && !port.empty()
                    ? "value out of range"
                    : "invalid syntax";
            return Error{0,
                         "Error: invalid port (" + port + "): strconv.ParseUint: parsing " +
                             go::quote(port) + ": " + why,
                         true};
        }
        auto it = ports.find(port + "/" + proto);
        if (it == ports.end() || !it->is_array() || it->empty())
            return Error{0, "Error: No public port '" + spec + "' published for " + name, true};
        for (auto& b : *it) out.push_back(binding(b));
    } else {
        for (auto& [from, binds] : ports.items())
            if (binds.is_array())
                for (auto& b : binds) out.push_back(from + " -> " + binding(b));
    }
    std::sort(out.begin(), out.end(), naturalLess);
    std::string text;
    for (auto& l : out) text += l + "\n";
    ctx.out(text);
    return 0;
}

}  // namespace

Command cmdPort() {
    Command c;
    c.name = "port";
    c.use = "CONTAINER [PRIVATE_PORT[/PROTO]]";
    c.shortHelp = "List port mappings or a specific mapping for the container";
    c.minArgs = 1;
    c.maxArgs = 2;
    c.run = runPort;
    return c;
}

}  // namespace berth::cli
