// What every verb gets: the global options, the daemon connection (made on first use), the
// client configuration file and the standard streams.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::cli {

class Client;
class Flags;

struct Globals {
    std::string host;  // -H / BERTH_HOST / DOCKER_HOST; "" = default socket
    bool tls = false, tlsVerify = false;
    std::string tlsCaCert, tlsCert, tlsKey;
    std::string configDir;  // --config / BERTH_CONFIG; default ~/.berth
    bool debug = false;
    std::string logLevel = "info";
};

class Ctx {
  public:
    explicit Ctx(Globals g);
    ~Ctx();

    const Globals& globals() const { return g_; }
    // The daemon connection; the error says how to start berthd when it is not running.
    Result<Client*> client();
    // The address in use, for messages ("unix:///run/berth/berth.sock").
    std::string hostUrl() const;

    // The options of the management command above the verb, when it has its own (compose's
    // -f/-p/--profile...); null otherwise.
    const Flags* parentFlags = nullptr;

    // Standard streams (the fds, so tests can redirect them).
    int inFd = 0, outFd = 1, errFd = 2;
    void out(std::string_view s) const;
    void err(std::string_view s) const;
    bool outIsTerminal() const;
    bool inIsTerminal() const;

    // ~/.berth/config.json (docker's format): the auth for a registry as the base64 of
    // docker's AuthConfig JSON, for X-Registry-Auth; "" when none is stored.
    std::string registryAuthHeader(std::string_view registry) const;
    std::string configPath() const;

  private:
    Globals g_;
    std::unique_ptr<Client> client_;
};

// The client's version (berth --version, berth version, the User-Agent).
constexpr const char* kBerthVersion = "0.1.0";

// The default daemon socket.
constexpr const char* kDefaultHost = "unix:///run/berth/berth.sock";

// The registry part of an image reference as docker normalises it ("docker.io" when the first
// component has no '.', ':' and is not "localhost").
std::string registryOf(std::string_view ref);

}  // namespace berth::cli
