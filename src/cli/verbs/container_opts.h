// The options of `run` and `create` (docker's container flags) and their translation into the
// body of POST /containers/create (Config + HostConfig + NetworkingConfig), as the docker CLI
// builds it. Also the small parsers the flags need (ports, volumes, mounts, ulimits...), exposed
// for the unit tests and for other verbs (`exec` reads env files the same way).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/flags.h"
#include "common/result.h"

namespace berth::cli {

// Errors of parseContainerOpts come in two kinds, printed differently (as docker prints them):
// a flag's value rejected while parsing the flag (code kOptsFlagError; printed with the usage,
// like pflag errors) and everything else ("berth: <msg>\n\nRun 'berth run --help' ...").
constexpr int kOptsFlagError = EDOM;

// Defines the flags of `run` (run=true: adds -d, --sig-proxy, --detach-keys) or `create`.
void defineContainerFlags(Flags& f, bool run);

struct ContainerSpec {
    std::string image;
    std::vector<std::string> cmd;
    std::string name, platform;
    std::string pull = "missing";  // always | missing | never
    bool quiet = false;
    std::string cidfile;
    // Copies of what run needs from the config.
    bool tty = false, openStdin = false;
    bool attachStdin = false, attachStdout = false, attachStderr = false;
    bool autoRemove = false;
    std::vector<std::string> attach;  // the -a values, lower-case
    // The JSON body of POST /containers/create.
    std::string body;
};

// Builds the create request from parsed flags (f.args() = IMAGE [COMMAND] [ARG...]).
Result<ContainerSpec> parseContainerOpts(const Flags& f);

// --- Parsers (docker's wording in their errors) ---

struct PortBinding {
    std::string hostIp, hostPort;
};
// -p specs ("[ip:][hostPort:]containerPort[/proto]", ranges, "published=..,target=.."): the
// exposed ports ("80/tcp") and their bindings.
Status parsePublish(const std::vector<std::string>& specs, std::map<std::string, int>& exposed,
                    std::map<std::string, std::vector<PortBinding>>& bindings);
// --expose "7000-7001/udp" -> "7000/udp", "7001/udp".
Result<std::vector<std::string>> parseExpose(std::string_view spec);

struct Ulimit {
    std::string name;
    int64_t soft = 0, hard = 0;
};
Result<Ulimit> parseUlimit(std::string_view spec);

struct DeviceMapping {
    std::string pathOnHost, pathInContainer, permissions;
};
Result<DeviceMapping> parseDevice(std::string_view spec);

// The lines of an env file (KEY=VALUE; a bare KEY takes the value from our environment when
// set). Errors: "open x: no such file or directory", "variable 'a b' contains whitespaces".
Result<std::vector<std::string>> readEnvFile(const std::string& path, bool lookupEnv);
// -e values: a bare KEY takes the value from our environment when set.
Result<std::string> validateEnv(std::string_view v);

// --cpus "1.5" -> 1500000000.
Result<int64_t> parseNanoCpus(std::string_view v);
// A Go duration in nanoseconds ("1m30s").
Result<int64_t> parseDurationNs(std::string_view v);

}  // namespace berth::cli
