// /proc/sys writes the network layer needs. /proc/sys/net shows the network namespace of the
// calling thread at open time, so these act on the netns the caller (thread) is in.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::net {

// rel is relative to /proc/sys: "net/ipv4/ip_forward". Path form, not dotted keys, because
// interface names may contain dots.
Status writeProcSys(const std::string& rel, std::string_view value);
Result<std::string> readProcSys(const std::string& rel);  // trailing newline stripped

// net.ipv4.ip_forward=1 (and net.ipv6.conf.all.forwarding=1 when ipv6 is set).
Status enableIpForward(bool ipv6);
// net.ipv4.conf.<bridge>.route_localnet=1: lets DNAT'ed 127.0.0.1 traffic leave by the bridge.
Status enableRouteLocalnet(const std::string& bridge);

}  // namespace berth::net
