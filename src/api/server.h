// berthd's HTTP front: the Docker Engine API served over unix sockets and TCP (optionally TLS
// with client certificates). One thread per connection, a synchronous Beast read/handle/write
// loop with keep-alive, so handlers may block on the engine.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::engine {
class Engine;
}
namespace berth::image {
class Service;
}
namespace berth::net {
class Manager;
}

namespace berth::api {

struct TlsOptions {
    bool enabled = false;  // --tls or --tlsverify
    bool verify = false;   // --tlsverify: client certificates signed by caCert required
    std::string caCert, cert, key;
};

// What /info and /version report, and what the build helper needs.
struct DaemonInfo {
    std::string root = "/var/lib/berth";
    std::string runRoot = "/run/berth";
    std::string selfExe;  // for the build helper; empty: /proc/self/exe
    std::vector<std::string> insecureRegistries;
    std::vector<std::string> hosts;
    bool debug = false;
    std::string logLevel = "info";
    bool liveRestore = true;
};

struct ServerOptions {
    std::vector<std::string> hosts;  // unix:///path, tcp://host:port, fd:// unsupported
    TlsOptions tls;
    // Called on the accept loop once no connection has been open for idleSeconds (again after
    // each new burst of activity): the daemon gives back memory it only needed while busy.
    std::function<void()> onIdle;
    int idleSeconds = 10;
};

class Server {
  public:
    static Result<std::unique_ptr<Server>> create(const ServerOptions& o, const DaemonInfo& info,
                                                  engine::Engine& engine, image::Service& images,
                                                  net::Manager& network);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Accepts and serves until `stopFd` becomes readable (e.g. a signalfd), then stops
    // accepting, ends the connections (idle ones at once, busy ones get `graceSeconds`) and
    // returns.
    Status run(int stopFd, int graceSeconds = 10);

    struct Impl;

  private:
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// `berthd --build-helper ROOT RUNROOT`: runs one classic build in this (single-threaded)
// process: reads a JSON options line then the context tar on stdin, writes docker's JSON
// stream on stdout. Returns the exit code.
int runBuildHelper(int argc, char** argv);

}  // namespace berth::api
