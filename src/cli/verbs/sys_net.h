// Helpers of `berth network create`: docker's IPAM flag consolidation (every --ip-range,
// --gateway and --aux-address goes to the --subnet that contains it).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::cli {

// Whether `ip` (an address or the address part of a CIDR) lies in the CIDR `subnet`;
// an error when subnet is not a valid CIDR.
Result<bool> sysSubnetContains(const std::string& subnet, const std::string& ip);

// The IPAM Config array from the flags, with docker's errors.
Result<nlohmann::json> sysIpamConfig(const std::vector<std::string>& subnets,
                                     const std::vector<std::string>& ranges,
                                     const std::vector<std::string>& gateways,
                                     const std::vector<std::string>& auxAddresses);

}  // namespace berth::cli
