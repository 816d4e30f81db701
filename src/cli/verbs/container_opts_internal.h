// Internal to the container_opts*.cpp files (the run/create flags and the create body built from
// them): what one facility's file uses of another's. Other verbs use container_opts.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/flags.h"
#include "cli/verbs/container_opts.h"
#include "common/result.h"

namespace berth::cli::copts {

// --- Strings and Go-worded value parsers (container_opts_values.cpp) ---

std::string lower(std::string_view s);
std::string upper(std::string_view s);
std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// An IPv4 or IPv6 address; *v6 tells which.
bool isIp(std::string_view s, bool* v6 = nullptr);
// Go's net.ParseMAC for the common colon/dash forms.
bool isMac(std::string_view s);
// Go's strconv.ParseUint(s, 10, bits) with its error text.
Result<uint64_t> parseUint(std::string_view s, int bits);
// Go's strconv.ParseInt(s, 10, 64) with its error text.
Result<int64_t> parseInt(std::string_view s);
// Go's strconv.ParseBool (the error text is the caller's).
Result<bool> parseGoBool(std::string_view v);
// csv.Reader's reading of one record (quotes allowed, as in --mount "src=a,b").
Result<std::vector<std::string>> csvFields(std::string_view s);
// filepath.Abs: p against the working directory, cleaned.
std::string absPath(const std::string& p);
// Go's map-of-strings from "k=v" (a bare "k" maps to "").
nlohmann::json kvMap(const std::vector<std::string>& kvs);

// --- Flag-level checks (container_opts_flags.cpp) ---

// A flag value rejected as pflag rejects it: `invalid argument "v" for "-m, --memory" flag: why`.
Error flagError(const Flags& f, std::string_view name, std::string_view value,
                std::string_view why);

// The flags pflag converts while parsing (sizes, CPUs, durations), so their errors come first.
struct FlagValues {
    int64_t memory = 0, memoryReservation = 0, memorySwap = 0, shmSize = 0, ioMaxBandwidth = 0;
    int64_t nanoCpus = 0;
    int64_t healthInterval = 0, healthTimeout = 0, healthStartPeriod = 0, healthStartInterval = 0;
};
// The checks pflag makes as each value is set (list flags first), in docker's order.
Result<FlagValues> parseFlagValues(const Flags& f);

// --- Mounts, volumes, tmpfs and devices (container_opts_mounts.cpp) ---

// --mount: docker's MountOpt.Set, one HostConfig.Mounts entry.
Result<nlohmann::json> parseMount(std::string_view value);
// -v: binds (with a source; null when none) and anonymous volumes (Config.Volumes).
Status parseVolumes(const Flags& f, nlohmann::json& binds, nlohmann::json& volumes);
// --tmpfs: path -> options.
nlohmann::json tmpfsMap(const Flags& f);
// --device: HostConfig.Devices.
Result<nlohmann::json> devicesJson(const Flags& f);

// --- Networks (container_opts_network.cpp) ---

// --network: a name, or the advanced csv form "name=n,alias=a,ip=...".
struct NetAttach {
    std::string target;
    std::vector<std::string> aliases, links, linkLocalIps;
    std::string ipv4, ipv6, mac;
    std::map<std::string, std::string> driverOpts;
    int64_t gwPriority = 0;
};
Result<NetAttach> parseNetworkOpt(std::string_view value);

struct Networking {
    nlohmann::json endpoints;  // NetworkingConfig.EndpointsConfig
    std::string mode;          // HostConfig.NetworkMode
};
// --network/--net with the legacy --ip, --ip6, --mac-address, --network-alias, --link...
Result<Networking> parseNetworking(const Flags& f);

// --- HostConfig (container_opts_host.cpp) ---

// The HostConfig fields parsed from flags before the body is assembled.
struct HostOpts {
    nlohmann::json binds = nullptr, tmpfs = nlohmann::json::object();
    std::map<std::string, std::vector<PortBinding>> portBindings;
    nlohmann::json devices = nlohmann::json::array();
    nlohmann::json restart, logOpts, securityOpt, maskedPaths, readonlyPaths, storageOpt;
    nlohmann::json ulimits, mounts, sysctls, annotations;
};
// Namespace modes, --restart, --log-opt, --security-opt, --storage-opt, --ulimit, --mount,
// --sysctl and --annotation, checked in docker's order.
Status parseHostOpts(const Flags& f, HostOpts& h);
// The HostConfig object; the device throttling flags are checked here, as docker does last.
Result<nlohmann::json> hostConfigJson(const Flags& f, const ContainerSpec& spec,
                                      const FlagValues& fv, const HostOpts& h,
                                      const std::string& networkMode);

}  // namespace berth::cli::copts
