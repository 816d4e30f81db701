// start, state, kill, delete, pause, resume, update, ps: the operations on an existing container.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/log.h"
#include "common/sys.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"

namespace berth::runtime {

namespace {

Result<std::unique_ptr<cgroups::Manager>> cgroupOf(const state::State& st) {
    return cgroups::open(st.cgroupMode, {st.cgroupRoot, st.cgroupPath, false});
}

// The config copy taken at create, parsed only when it has hooks of `kind` (poststart,
// poststop): start and delete stay cheap for the common config without them.
std::optional<spec::Spec> configWithHooks(const Globals& g, const state::State& st,
                                          const char* kind) {
    auto text = sys::readFile(state::dir(g.root, st.id) + "/config.json");
    if (!text || text->find(fmt::format("\"{}\"", kind)) == std::string::npos) return std::nullopt;
    auto s = spec::parseSpec(*text);
    if (!s) {
        log::warn("{}: config copy: {}", st.id, s.error().str());
        return std::nullopt;
    }
    return std::move(*s);
}

bool waitGone(pid_t pid, uint64_t startTime, int ms) {
    for (int i = 0; i < ms; i++) {
        if (!state::processRunning(pid, startTime)) return true;
        ::usleep(1000);
    }
    return !state::processRunning(pid, startTime);
}

Status signalInit(const state::State& st, int sig) {
    int pfd = static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0));
    if (pfd < 0) return errnoError("open pidfd of {}", st.pid);
    UniqueFd fd(pfd);
    // Checked after pidfd_open: if the pid was reused, the start time differs.
    if (!state::processRunning(st.pid, st.startTime)) return makeError(ESRCH, "container not running");
    if (::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0) < 0) {
        return errnoError("signal {}", st.pid);
    }
    return {};
}

}  // namespace

Result<state::State> load(const Globals& g, const std::string& id) { return state::load(g.root, id); }

Result<std::string> stateJson(const Globals& g, const std::string& id) {
    auto st = TRY(state::load(g.root, id));
    return state::ociJson(st, state::status(g.root, st));
}

Status start(const Globals& g, const std::string& id) {
    auto lk = TRY_CTX(state::lock(g.root, id), "start");
    auto st = TRY(state::load(g.root, id));
    auto status = state::status(g.root, st);
    if (status != state::ContainerStatus::Created) {
        return makeError(EINVAL, "cannot start container \"{}\": it is {}, not created", id,
                         state::statusName(status));
    }
    std::string fifo = state::fifoPath(g.root, id);
    auto fd = sys::open(fifo, O_WRONLY | O_NONBLOCK);
    if (!fd) {
        if (fd.error().code == ENXIO) return makeError(ESRCH, "cannot start container \"{}\": init has exited", id);
        return std::move(fd).error().wrap("start " + id);
    }
    auto cfg = configWithHooks(g, st, "poststart");
    bool post = cfg && cfg->hooks && !cfg->hooks->poststart.empty();
    // With poststart hooks, wait until the user process is exec'd (the init's close-on-exec
    // write end closes): the spec runs them after that, not merely after the release.
    UniqueFd execDone;
    if (post && st.execPipeFd >= 0) {
        auto r = sys::open(fmt::format("/proc/{}/fd/{}", st.pid, st.execPipeFd), O_RDONLY);
        if (r) execDone = std::move(*r);
    }
    TRY_CTX(sys::writeFd(fd->get(), "0"), "start {}", id);
    fd->reset();
    (void)sys::unlinkat(AT_FDCWD, fifo, 0);
    if (execDone) {
        char b;
        while (::read(execDone.get(), &b, 1) < 0 && errno == EINTR) {
        }
    }
    if (post) {
        hooks::runWarn(cfg->hooks->poststart,
                       state::ociJson(st, state::ContainerStatus::Running, false), "poststart");
    }
    return {};
}

Status kill(const Globals& g, const std::string& id, int sig, bool all) {
    auto st = TRY(state::load(g.root, id));
    auto status = state::status(g.root, st);
    if (status == state::ContainerStatus::Stopped && !all) {
        return makeError(ESRCH, "cannot kill container \"{}\": container not running", id);
    }
    if (all) {
        auto cg = TRY(cgroupOf(st));
        TRY_CTX(cg->killAll(sig), "kill {}", id);
        return {};
    }
    TRY_CTX(signalInit(st, sig), "kill {}", id);
    return {};
}

Status remove(const Globals& g, const std::string& id, bool force) {
    auto st = TRY(state::load(g.root, id));
    auto lk = TRY(state::lock(g.root, id));
    auto status = state::status(g.root, st);
    auto cg = TRY(cgroupOf(st));
    if (status != state::ContainerStatus::Stopped) {
        if (status != state::ContainerStatus::Created && !force) {
            return makeError(EBUSY, "cannot delete container \"{}\" that is not stopped: {}", id,
                             state::statusName(status));
        }
        (void)cg->killAll(SIGKILL);
        (void)::kill(st.pid, SIGKILL);
        if (status == state::ContainerStatus::Paused) (void)cg->thaw();
        if (!waitGone(st.pid, st.startTime, 5000)) {
            return makeError(EBUSY, "delete {}: init process {} did not exit after SIGKILL", id,
                             st.pid);
        }
    }
    // Processes left behind when there is no pid namespace die with the cgroup.
    (void)cg->killAll(SIGKILL);
    TRY_CTX(cg->destroy(), "delete {}: remove cgroup", id);
    auto cfg = configWithHooks(g, st, "poststop");
    if (cfg && cfg->hooks && !cfg->hooks->poststop.empty()) {
        hooks::runWarn(cfg->hooks->poststop,
                       state::ociJson(st, state::ContainerStatus::Stopped, false), "poststop");
    }
    TRY_CTX(sys::removeAll(state::dir(g.root, id)), "delete {}", id);
    return {};
}

Status pause(const Globals& g, const std::string& id) {
    auto st = TRY(state::load(g.root, id));
    auto status = state::status(g.root, st);
    if (status != state::ContainerStatus::Running && status != state::ContainerStatus::Created) {
        return makeError(EINVAL, "cannot pause container \"{}\": it is {}", id,
                         state::statusName(status));
    }
    auto cg = TRY(cgroupOf(st));
    TRY_CTX(cg->freeze(), "pause {}", id);
    return {};
}

Status resume(const Globals& g, const std::string& id) {
    auto st = TRY(state::load(g.root, id));
    auto status = state::status(g.root, st);
    if (status != state::ContainerStatus::Paused) {
        return makeError(EINVAL, "cannot resume container \"{}\": it is {}, not paused", id,
                         state::statusName(status));
    }
    auto cg = TRY(cgroupOf(st));
    TRY_CTX(cg->thaw(), "resume {}", id);
    return {};
}

Status update(const Globals& g, const std::string& id, const spec::Resources& r) {
    auto st = TRY(state::load(g.root, id));
    if (state::status(g.root, st) == state::ContainerStatus::Stopped) {
        return makeError(EINVAL, "cannot update container \"{}\": it is stopped", id);
    }
    auto cg = TRY(cgroupOf(st));
    TRY_CTX(cg->apply(r), "update {}", id);
    return {};
}

Result<std::vector<pid_t>> processes(const Globals& g, const std::string& id) {
    auto st = TRY(state::load(g.root, id));
    auto cg = TRY(cgroupOf(st));
    return TRY_CTX(cg->pids(), "ps {}", id);
}

Result<int> parseSignal(const std::string& s) {
    if (s.empty()) return invalid("empty signal");
    if (isdigit(static_cast<unsigned char>(s[0]))) {
        char* end;
        long n = strtol(s.c_str(), &end, 10);
        if (*end || n <= 0 || n > SIGRTMAX) return invalid("invalid signal \"{}\"", s);
        return static_cast<int>(n);
    }
    std::string name = s;
    for (auto& c : name) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("SIG")) name = name.substr(3);
    for (int i = 1; i < NSIG; i++) {
        const char* abbrev = sigabbrev_np(i);
        if (abbrev && name == abbrev) return i;
    }
    if (name.starts_with("RTMIN")) {
        int off = name.size() > 6 && name[5] == '+' ? atoi(name.c_str() + 6) : 0;
        if (SIGRTMIN + off <= SIGRTMAX) return SIGRTMIN + off;
    }
    if (name.starts_with("RTMAX")) {
        int off = name.size() > 6 && name[5] == '-' ? atoi(name.c_str() + 6) : 0;
        if (SIGRTMAX - off >= SIGRTMIN) return SIGRTMAX - off;
    }
    return invalid("unknown signal \"{}\"", s);
}

}  // namespace berth::runtime
