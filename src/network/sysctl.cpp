#include "network/sysctl.h"

#include "common/sys.h"

namespace berth::net {

Status writeProcSys(const std::string& rel, std::string_view value) {
    std::string path = "/proc/sys/" + rel;
    // Skip the write when the value is already there: /proc/sys may be read-only (a daemon in a
    // container) while the setting is right.
    auto cur = sys::readFile(path);
    if (cur.ok()) {
        std::string v = *cur;
        while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
        if (v == value) return okStatus();
    }
    TRY_CTX(sys::writeFile(path, value), "sysctl {}={}", rel, value);
    return okStatus();
}

Result<std::string> readProcSys(const std::string& rel) {
    std::string v = TRY_CTX(sys::readFile("/proc/sys/" + rel), "sysctl {}", rel);
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
}

Status enableIpForward(bool ipv6) {
    TRY(writeProcSys("net/ipv4/ip_forward", "1"));
    if (ipv6) TRY(writeProcSys("net/ipv6/conf/all/forwarding", "1"));
    return okStatus();
}

Status enableRouteLocalnet(const std::string& bridge) {
    if (bridge.empty() || bridge.find('/') != std::string::npos || bridge == "." || bridge == "..")
        return invalid("bad interface name '{}'", bridge);
    return writeProcSys("net/ipv4/conf/" + bridge + "/route_localnet", "1");
}

}  // namespace berth::net
