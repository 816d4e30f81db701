// berth-monitor: conmon's role for berthd. Started by monitor::start()/startExec() with the
// start handshake socket on fd 3; never run by hand.
//   berth-monitor create --id ID --bundle DIR --state-dir DIR --runtime-root DIR
//                 [--log-path P --log-max-size N --log-max-files N] [--tty] [--stdin]
//                 [--stdin-once] [--height H --width W]
//   berth-monitor exec --id ID --exec-id E --state-dir DIR --runtime-root DIR [--tty] [--stdin]
//                 [--height H --width W]
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "cmd/berth-monitor/monitor.h"
#include "common/log.h"
#include "monitor/protocol.h"

namespace berth::monitor::daemon {

Monitor& mon() {
    static Monitor m;
    return m;
}

Result<Config> parseArgs(int argc, char** argv) {
    Config c;
    if (argc < 2) return invalid("usage: berth-monitor create|exec --id ID --state-dir DIR ...");
    std::string mode = argv[1];
    if (mode != "create" && mode != "exec") return invalid("unknown mode {}", mode);
    c.exec = mode == "exec";
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        auto value = [&]() -> Result<std::string> {
            if (i + 1 >= argc) return invalid("{} needs a value", a);
            return std::string(argv[++i]);
        };
        auto number = [&]() -> Result<int64_t> {
            std::string v = TRY(value());
            char* end = nullptr;
            long long n = std::strtoll(v.c_str(), &end, 10);
            if (v.empty() || *end || n < 0) return invalid("{} {}: not a number", a, v);
            return static_cast<int64_t>(n);
        };
        if (a == "--id")
            c.id = TRY(value());
        else if (a == "--exec-id")
            c.execId = TRY(value());
        else if (a == "--bundle")
            c.bundle = TRY(value());
        else if (a == "--state-dir")
            c.stateDir = TRY(value());
        else if (a == "--runtime-root")
            c.runtimeRoot = TRY(value());
        else if (a == "--log-path")
            c.logPath = TRY(value());
        else if (a == "--log-max-size")
            c.logMaxSize = TRY(number());
        else if (a == "--log-max-files")
            c.logMaxFiles = static_cast<int>(TRY(number()));
        else if (a == "--height")
            c.height = static_cast<unsigned>(TRY(number()));
        else if (a == "--width")
            c.width = static_cast<unsigned>(TRY(number()));
        else if (a == "--tty")
            c.tty = true;
        else if (a == "--stdin")
            c.openStdin = true;
        else if (a == "--stdin-once")
            c.stdinOnce = true;
        else
            return invalid("unknown option {}", a);
    }
    if (c.id.empty() || c.stateDir.empty() || c.runtimeRoot.empty()) {
        return invalid("--id, --state-dir and --runtime-root are required");
    }
    if (!c.exec && c.bundle.empty()) return invalid("--bundle is required");
    // docker closes an exec's stdin when its attacher half-closes.
    if (c.exec) c.stdinOnce = true;
    return c;
}

}  // namespace berth::monitor::daemon

int main(int argc, char** argv) {
    using namespace berth::monitor;
    auto cfg = daemon::parseArgs(argc, argv);
    if (!cfg) {
        berth::log::error("berth-monitor: {}", cfg.error().str());
        (void)proto::sendError(proto::kControlFd, cfg.error());
        return 2;
    }
    // Detach: the caller reaps this process at once; the monitor's parent becomes init (or the
    // nearest subreaper), never berthd, so berthd can die or restart under it.
    pid_t pid = ::fork();
    if (pid < 0) {
        (void)proto::sendError(proto::kControlFd, berth::errnoError("fork monitor"));
        return 1;
    }
    if (pid > 0) _exit(0);
    auto& m = daemon::mon();
    m.cfg = std::move(*cfg);
    if (auto st = daemon::setup(); !st) daemon::failStart(st.error());
    daemon::runLoop();
}
