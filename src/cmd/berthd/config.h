// berthd's settings: dockerd-like flags and the daemon.json file with dockerd's keys, merged
// with dockerd's rules (unknown keys and a setting given both ways are errors).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::berthd {

struct Config {
    std::string dataRoot = "/var/lib/berth";
    std::string execRoot = "/run/berth";
    std::vector<std::string> hosts;
    std::vector<std::string> addressPools;  // "base/prefix/size" (net::Options form)
    std::vector<std::string> insecureRegistries;
    std::string logMaxSize;  // "10m"
    int logMaxFiles = 1;
    bool debug = false;
    std::string logLevel = "info";
    std::string logFormat = "text";  // text (time="" level= msg="") or json
    bool tls = false, tlsVerify = false;
    std::string tlsCaCert, tlsCert, tlsKey;
    std::string pidFile;
    std::string bridgeIp;  // --bip: the default bridge's subnet (gateway/prefix)
    // Local clients of published TCP ports connect straight to the container (eBPF on
    // connect()), not through per-packet DNAT. Berth's own setting ("socket-redirect").
    bool socketRedirect = true;
};

// Which settings a flag set, by daemon.json key, so the file can be checked against them.
struct FlagSet {
    std::vector<std::string> keys;
    bool has(const std::string& k) const;
};

// Applies the JSON file at `path` to `c` (a missing file is fine when !required).
Status applyConfigFile(const std::string& path, bool required, const FlagSet& flags, Config& c);

// "base=172.30.0.0/16,size=24" -> "172.30.0.0/16/24".
Result<std::string> parseAddressPool(const std::string& flag);
// docker's human sizes for log-opts ("10m" = 10 000 000 bytes; "10MiB" binary).
Result<int64_t> parseSize(const std::string& s);

}  // namespace berth::berthd
