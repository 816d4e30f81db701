// docker's -p syntax -> PortBindings, for command lines (the API receives them structured):
//   80            container port 80 on a random host port
//   8080:80/udp   host 8080 -> container 80, udp
//   127.0.0.1:8080:80, 127.0.0.1::80, [::1]:8080:80
//   8000-8010:80  any free host port of 8000..8010 -> 80
//   8000-8002:80-82, 80-82   ranges mapped 1:1 (a random host port each for the latter)
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "network/network.h"

namespace berth::net {

Result<std::vector<PortBinding>> parsePortSpec(std::string_view spec);

// "80" or "8000-8010" (1..65535, first <= last); errors name `spec`, the text it came from.
struct PortRange {
    uint16_t first = 0, last = 0;
};
Result<PortRange> parsePortRange(std::string_view ports, std::string_view spec);

}  // namespace berth::net
