#include "image/build/container_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "common/unique_fd.h"

namespace berth::image::build {

namespace {

using OJson = nlohmann::ordered_json;

// Docker's default capability set.
const std::vector<std::string> kCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

OJson mount(const char* dst, const char* type, const char* src, std::vector<std::string> opts) {
    return {{"destination", dst}, {"type", type}, {"source", src}, {"options", opts}};
}

void writeAll(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        s.remove_prefix(static_cast<size_t>(n));
    }
}

sigset_t forwardedSignals() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&s, sig);
    return s;
}

// The forked child: becomes the runtime's foreground `run`, reports through statusFd.
[[noreturn]] void childMain(const runtime::Globals& g, const ContainerSpec& s, int outFd,
                            int statusFd, pid_t parent) {
    // If the caller dies, so do we (and the container is cleaned up by the next
    // ContainerFs::cleanStale): no runtime process outlives the build or run it serves.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != parent) ::_exit(0);
    if (outFd >= 0) {
        int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(outFd, 1) < 0 || ::dup2(outFd, 2) < 0) {
            writeAll(statusFd, fmt::format("E {} 0 redirect container stdio", errno));
            ::_exit(0);
        }
    }
    runtime::CreateOptions o;
    o.id = s.id;
    o.bundle = s.bundleDir;
    auto r = runtime::run(g, o, false, false);
    if (r) {
        writeAll(statusFd, fmt::format("C {}", *r));
    } else {
        writeAll(statusFd,
                 fmt::format("E {} {} {}", r.error().code, r.error().quiet ? 1 : 0, r.error().msg));
    }
    ::_exit(0);
}

Result<int> parseStatus(const std::string& st) {
    if (st.starts_with("C ")) return std::atoi(st.c_str() + 2);
    if (st.starts_with("E ")) {
        char* end = nullptr;
        int code = static_cast<int>(std::strtol(st.c_str() + 2, &end, 10));
        bool quiet = std::strtol(end, &end, 10) != 0;
        Error e{code, *end == ' ' ? std::string(end + 1) : std::string(end)};
        e.quiet = quiet;
        return e;
    }
    return invalid("container runtime process exited without reporting a result");
}

}  // namespace

std::string randomId() {
    std::random_device rd;
    std::string out;
    for (int i = 0; i < 8; i++) out += fmt::format("{:08x}", rd());
    return out;
}

std::string ociConfigJson(const ContainerSpec& s) {
    OJson p;
    p["terminal"] = s.terminal;
    // umask 022 as runc applies by default (the runtime otherwise inherits ours).
    OJson user = {{"uid", s.user.uid}, {"gid", s.user.gid}, {"umask", 022}};
    if (!s.user.additionalGids.empty()) user["additionalGids"] = s.user.additionalGids;
    p["user"] = user;
    p["args"] = s.args;
    p["env"] = s.env;
    p["cwd"] = s.cwd.empty() ? "/" : s.cwd;
    // As docker: a non-root user keeps the bounding set but has no effective capabilities.
    std::vector<std::string> none;
    bool root = s.user.uid == 0;
    p["capabilities"] = {{"bounding", kCaps},
                         {"effective", root ? kCaps : none},
                         {"permitted", root ? kCaps : none}};
    p["noNewPrivileges"] = false;

    OJson mounts = OJson::array();
    mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    mounts.push_back(
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    mounts.push_back(
        mount("/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev/shm", "tmpfs", "shm",
                           {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));

    OJson ns = OJson::array();
    for (const char* t : {"pid", "network", "ipc", "uts", "mount"}) {
        if (s.hostNetwork && std::string_view(t) == "network") continue;
        ns.push_back({{"type", t}});
    }
    OJson linux;
    linux["namespaces"] = ns;
    linux["cgroupsPath"] = s.cgroupsPath;
    linux["resources"] = {{"devices", OJson::array({{{"allow", false}, {"access", "rwm"}}})}};
    linux["maskedPaths"] = {
        "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
        "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap"};
    linux["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"};

    OJson c;
    c["ociVersion"] = "1.2.0";
    c["process"] = p;
    c["root"] = {{"path", s.rootfs}, {"readonly", false}};
    c["hostname"] = s.hostname;
    c["mounts"] = mounts;
    c["linux"] = linux;
    return c.dump(1, '\t');
}

Result<int> runToCompletion(const runtime::Globals& g, const ContainerSpec& s,
                            const OutputFn* output) {
    TRY_CTX(sys::writeFile(s.bundleDir + "/config.json", ociConfigJson(s),
                           O_WRONLY | O_CREAT | O_TRUNC, 0600),
            "write bundle");
    int p[2];
    UniqueFd outR, outW, stR, stW;
    if (output) {
        if (::pipe2(p, O_CLOEXEC) < 0) return errnoError("pipe");
        outR.reset(p[0]);
        outW.reset(p[1]);
    }
    if (::pipe2(p, O_CLOEXEC) < 0) return errnoError("pipe");
    stR.reset(p[0]);
    stW.reset(p[1]);

    // Signals meant for the container are taken from a signalfd and forwarded while it runs.
    sigset_t fwd = forwardedSignals(), old;
    ::pthread_sigmask(SIG_BLOCK, &fwd, &old);
    ScopeGuard restoreMask([&] { ::pthread_sigmask(SIG_SETMASK, &old, nullptr); });
    UniqueFd sfd(::signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd) return errnoError("signalfd");

    pid_t self = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return errnoError("fork");
    if (pid == 0) {
        sfd.reset();
        outR.reset();
        stR.reset();
        childMain(g, s, outW.get(), stW.get(), self);
    }
    outW.reset();
    stW.reset();
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        auto e = errnoError("pidfd_open");
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return e;
    }

    std::string status;
    bool exited = false;
    char buf[16384];
    while (!exited || outR || stR) {
        struct pollfd pf[4] = {{pidfd.get(), POLLIN, 0},
                               {sfd.get(), POLLIN, 0},
                               {outR ? outR.get() : -1, POLLIN, 0},
                               {stR ? stR.get() : -1, POLLIN, 0}};
        if (exited) pf[0].fd = -1;
        // Once the runtime process is gone, only drain what is already buffered: a stray
        // holder of the pipe must not keep us waiting.
        int r = ::poll(pf, 4, exited ? 0 : -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errnoError("poll");
        }
        if (r == 0) break;
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
                ::kill(pid, static_cast<int>(si.ssi_signo));
            }
        }
        if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(outR.get(), buf, sizeof buf);
            if (n > 0) {
                (*output)(std::string_view(buf, static_cast<size_t>(n)));
            } else if (n == 0 || errno != EINTR) {
                outR.reset();
            }
        }
        if (pf[3].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(stR.get(), buf, sizeof buf);
            if (n > 0) {
                status.append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                stR.reset();
            }
        }
        if (!exited && (pf[0].revents & POLLIN)) {
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
            exited = true;
        }
    }
    if (!exited) {
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    return parseStatus(status);
}

}  // namespace berth::image::build
