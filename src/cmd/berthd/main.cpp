// berthd: the Berth daemon. Opens the image, network and engine layers and serves the Docker
// Engine API until SIGTERM/SIGINT; containers keep running across its stops (live restore).
#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "api/server.h"
#include "common/log.h"
#include "common/sys.h"
#include "config.h"
#include "engine/engine.h"
#include "image/service.h"
#include "network/network.h"
#include "runtime/cgroups/cgroup.h"

using namespace berth;

namespace {
constexpr const char* kApiVersionText = "1.41-1.50";
}

namespace {

Result<log::Level> parseLevel(const std::string& s) {
    if (s == "debug" || s == "trace") return log::Level::Debug;
    if (s == "info") return log::Level::Info;
    if (s == "warn" || s == "warning") return log::Level::Warn;
    if (s == "error" || s == "fatal" || s == "panic") return log::Level::Error;
    return invalid("invalid log level {:?}: debug, info, warn, error, fatal", s);
}

// --bip "192.168.5.1/24" -> the subnet "192.168.5.0/24" for the default bridge.
Result<std::string> bipSubnet(const std::string& bip) {
    auto slash = bip.find('/');
    if (slash == std::string::npos) return invalid("invalid --bip {}: want ADDR/PREFIX", bip);
    in_addr a{};
    if (::inet_pton(AF_INET, bip.substr(0, slash).c_str(), &a) != 1)
        return invalid("invalid --bip {}", bip);
    int prefix = std::atoi(bip.c_str() + slash + 1);
    if (prefix <= 0 || prefix > 30) return invalid("invalid --bip {}: bad prefix", bip);
    uint32_t mask = prefix == 0 ? 0 : htonl(~uint32_t(0) << (32 - prefix));
    a.s_addr &= mask;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return fmt::format("{}/{}", buf, prefix);
}

// Start-up and bursts of requests touch code of every library berthd links (relocations,
// constructors, libarchive for an import, libcurl for a pull), and the kernel maps 64 KiB
// around every such fault. None of it is needed while idle: at start and after 10 s without a
// connection, read-only file mappings are marked random-access (no fault-around) and paged
// out, so the idle daemon holds only what it uses. Pages that other processes map too (libc,
// libstdc++) stay; what the next request needs comes back on first use.
void releaseStartupPages() {
    auto maps = sys::readFile("/proc/self/maps");
    if (!maps) return;
    size_t pos = 0;
    const std::string& m = *maps;
    while (pos < m.size()) {
        size_t end = m.find('\n', pos);
        if (end == std::string::npos) end = m.size();
        std::string line = m.substr(pos, end - pos);
        pos = end + 1;
        unsigned long lo = 0, hi = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3) continue;
        auto slash = line.find(" /");
        if (slash == std::string::npos || perms[1] == 'w') continue;
        void* addr = reinterpret_cast<void*>(lo);
        ::madvise(addr, hi - lo, MADV_RANDOM);
        ::madvise(addr, hi - lo, MADV_PAGEOUT);
    }
}

Status run(const berthd::Config& cfg) {
    // One thread per connection: without a cap glibc gives busy threads arenas of their own
    // (up to 8 per core), whose freed memory stays resident. Two are plenty here.
    ::mallopt(M_ARENA_MAX, 2);
    // Signals are taken by a signalfd the accept loop polls; blocked before any thread starts
    // so every thread inherits the mask.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &sigs, nullptr) < 0) return errnoError("sigprocmask");
    ::signal(SIGPIPE, SIG_IGN);
    UniqueFd sigFd(::signalfd(-1, &sigs, SFD_CLOEXEC));
    if (!sigFd) return errnoError("signalfd");

    TRY(sys::mkdirAll(cfg.dataRoot, 0711));
    TRY(sys::mkdirAll(cfg.execRoot, 0700));
    if (!cfg.pidFile.empty())
        TRY_CTX(sys::writeFileAtomic(cfg.pidFile, std::to_string(::getpid()) + "\n"), "pidfile");

    image::ServiceOptions io;
    io.root = cfg.dataRoot;
    io.insecureRegistries = cfg.insecureRegistries;
    io.runtimeRoot = cfg.execRoot + "/runtime";
    io.authFile = cfg.dataRoot + "/auth/config.json";
    auto images = TRY_CTX(image::Service::open(io), "open the image store");

    net::Options no;
    no.stateDir = cfg.dataRoot + "/network";
    no.runDir = cfg.execRoot;
    no.defaultPools = cfg.addressPools;
    if (!cfg.bridgeIp.empty()) no.defaultSubnet = TRY(bipSubnet(cfg.bridgeIp));
    if (cfg.socketRedirect) {
        // The root of the cgroup2 hierarchy, so every process's connect() is seen.
        if (auto m = cgroups::loadMountTable("/sys/fs/cgroup"); m && !m->unified.empty())
            no.socketRedirectCgroup = m->unified;
        else
            log::warn("no cgroup2 hierarchy: published ports reach local clients through DNAT");
    }
    auto network = TRY_CTX(net::Manager::open(no), "open the network manager");

    engine::Options eo;
    eo.root = cfg.dataRoot;
    eo.runRoot = cfg.execRoot;
    if (!cfg.logMaxSize.empty()) eo.logMaxSize = TRY(berthd::parseSize(cfg.logMaxSize));
    eo.logMaxFiles = cfg.logMaxFiles;
    auto engine = TRY_CTX(engine::Engine::open(eo, *images, *network), "open the engine");

    api::ServerOptions so;
    so.hosts = cfg.hosts;
    so.tls.enabled = cfg.tls || cfg.tlsVerify;
    so.tls.verify = cfg.tlsVerify;
    so.tls.caCert = cfg.tlsCaCert;
    so.tls.cert = cfg.tlsCert;
    so.tls.key = cfg.tlsKey;
    api::DaemonInfo info;
    info.root = cfg.dataRoot;
    info.runRoot = cfg.execRoot;
    info.insecureRegistries = cfg.insecureRegistries;
    info.hosts = cfg.hosts;
    info.debug = cfg.debug;
    info.logLevel = cfg.logLevel;
    if (auto self = sys::readlink("/proc/self/exe")) info.selfExe = *self;
    so.onIdle = [] {
        ::malloc_trim(0);
        releaseStartupPages();
    };
    auto server = TRY_CTX(api::Server::create(so, info, *engine, *images, *network), "API");

    releaseStartupPages();
    log::info("berthd started root={} run-root={} pid={} api={}", cfg.dataRoot, cfg.execRoot,
              ::getpid(), kApiVersionText);
    auto st = server->run(sigFd.get());
    log::info("berthd stopping: engine and network detach, containers keep running");
    engine->shutdown();
    network->shutdown(false);
    server.reset();
    if (!cfg.pidFile.empty()) ::unlink(cfg.pidFile.c_str());
    log::info("berthd stopped");
    return st;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "--build-helper")
        return api::runBuildHelper(argc, argv);

    CLI::App app{"berthd: the Berth daemon (Docker Engine API 1.41-1.50)", "berthd"};
    berthd::Config cfg;
    std::string configFile = "/etc/berth/daemon.json";
    std::vector<std::string> pools, logOpts;
    auto* rootOpt =
        app.add_option("--data-root,--root,-g", cfg.dataRoot, "root of persistent state")
            ->capture_default_str();
    auto* execOpt = app.add_option("--exec-root,--run-root", cfg.execRoot,
                                   "root of runtime state (socket, monitors)")
                        ->capture_default_str();
    auto* hostOpt = app.add_option("-H,--host", cfg.hosts,
                                   "socket(s) to listen on: unix:///path, tcp://host:port")
                        ->allow_extra_args(false);
    auto* cfgOpt =
        app.add_option("--config-file", configFile, "daemon.json")->capture_default_str();
    auto* poolOpt =
        app.add_option("--default-address-pool", pools, "base=CIDR,size=N for user networks")
            ->allow_extra_args(false);
    auto* insecOpt = app.add_option("--insecure-registry", cfg.insecureRegistries,
                                    "registry (host:port or CIDR) spoken to over HTTP")
                         ->allow_extra_args(false);
    auto* lvlOpt = app.add_option("-l,--log-level", cfg.logLevel, "debug, info, warn, error, fatal")
                       ->capture_default_str();
    auto* dbgOpt = app.add_flag("-D,--debug", cfg.debug, "debug logging");
    auto* tlsOpt = app.add_flag("--tls", cfg.tls, "serve TCP with TLS");
    auto* tlsvOpt =
        app.add_flag("--tlsverify", cfg.tlsVerify, "TLS and require client certificates");
    auto* caOpt = app.add_option("--tlscacert", cfg.tlsCaCert, "CA for client certificates");
    auto* certOpt = app.add_option("--tlscert", cfg.tlsCert, "server certificate");
    auto* keyOpt = app.add_option("--tlskey", cfg.tlsKey, "server key");
    auto* logOpt =
        app.add_option("--log-opt", logOpts, "json-file log options: max-size=, max-file=")
            ->allow_extra_args(false);
    auto* pidOpt = app.add_option("-p,--pidfile", cfg.pidFile, "write the daemon's pid here");
    auto* fmtOpt =
        app.add_option("--log-format", cfg.logFormat, "text or json")->capture_default_str();
    auto* bipOpt = app.add_option("--bip", cfg.bridgeIp, "default bridge address/prefix");
    auto* redirOpt = app.add_option("--socket-redirect", cfg.socketRedirect,
                                    "local clients of published TCP ports connect straight to "
                                    "the container (eBPF on connect), true or false")
                         ->capture_default_str();
    bool liveRestore = true;
    app.add_flag("--live-restore", liveRestore, "accepted: containers always outlive the daemon");
    CLI11_PARSE(app, argc, argv);

    berthd::FlagSet flags;
    auto mark = [&](CLI::Option* o, const char* key) {
        if (o->count() > 0) flags.keys.push_back(key);
    };
    mark(rootOpt, "data-root");
    mark(execOpt, "exec-root");
    mark(hostOpt, "hosts");
    mark(poolOpt, "default-address-pools");
    mark(insecOpt, "insecure-registries");
    mark(lvlOpt, "log-level");
    mark(dbgOpt, "debug");
    mark(tlsOpt, "tls");
    mark(tlsvOpt, "tlsverify");
    mark(caOpt, "tlscacert");
    mark(certOpt, "tlscert");
    mark(keyOpt, "tlskey");
    mark(logOpt, "log-opts");
    mark(pidOpt, "pidfile");
    mark(bipOpt, "bip");
    mark(fmtOpt, "log-format");
    mark(redirOpt, "socket-redirect");

    auto fail = [](const Error& e) {
        fprintf(stderr, "berthd: %s\n", (e.quiet ? e.msg : e.str()).c_str());
        return 1;
    };
    for (auto& p : pools) {
        auto r = berthd::parseAddressPool(p);
        if (!r) return fail(r.error());
        cfg.addressPools.push_back(*r);
    }
    for (auto& o : logOpts) {
        auto eq = o.find('=');
        auto k = o.substr(0, eq), v = eq == std::string::npos ? "" : o.substr(eq + 1);
        if (k == "max-size")
            cfg.logMaxSize = v;
        else if (k == "max-file")
            cfg.logMaxFiles = std::atoi(v.c_str());
        else
            return fail(invalid("unknown log opt '{}' for json-file log driver", k));
    }
    if (auto st = berthd::applyConfigFile(configFile, cfgOpt->count() > 0, flags, cfg); !st)
        return fail(st.error());
    if (cfg.debug) cfg.logLevel = "debug";
    auto level = parseLevel(cfg.logLevel);
    if (!level) return fail(level.error());
    if (!cfg.logMaxSize.empty())
        if (auto s = berthd::parseSize(cfg.logMaxSize); !s) return fail(s.error());
    log::Options lo;
    lo.level = *level;
    if (cfg.logFormat == "json") {
        lo.format = log::Format::Json;
    } else if (cfg.logFormat == "text") {
        // Through a path, the logger writes dockerd's time="" level= msg="" lines (to the
        // bare stderr fd it writes bare messages, meant for tools' users).
        if (::isatty(STDERR_FILENO) == 0) lo.path = "/proc/self/fd/2";
    } else {
        return fail(invalid("invalid log format {:?}: text or json", cfg.logFormat));
    }
    log::init(lo);
    if (auto st = run(cfg); !st) {
        log::error("berthd: {}", st.error().str());
        return 1;
    }
    return 0;
}
