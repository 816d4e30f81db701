#include "runtime/process_exec.h"

#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdlib>

#include "runtime/capabilities.h"
#include "runtime/process_attrs.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"

namespace berth::procexec {

namespace {

std::string envValue(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& e : env) {
        if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
            return e.substr(key.size() + 1);
        }
    }
    return {};
}

// 0 when `p` is an executable regular file, else why not (ENOENT, EISDIR, EACCES, ...).
int execProblem(const std::string& p) {
    struct stat st;
    if (::stat(p.c_str(), &st) < 0) return errno;
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (!S_ISREG(st.st_mode) || ::access(p.c_str(), X_OK) < 0) return EACCES;
    return 0;
}
bool isExecutableFile(const std::string& p) {
    return execProblem(p) == 0;
}

Status loadSeccomp(const Plan& plan) {
    auto listener = TRY(seccomp::install(*plan.seccomp));
    if (listener.valid()) {
        TRY_CTX(sync::send(plan.syncFd, sync::Msg::SeccompFd, 0, {}, listener.get()),
                "hand the seccomp listener to the runtime");
    }
    return {};
}

// NOTIFY filters go in before "created" (the runtime must still be there to forward the
// listener); others as late as possible when no_new_privs allows it.
bool loadsEarly(const Plan& plan) {
    return plan.seccomp && (plan.seccomp->notify || !plan.process->noNewPrivileges);
}

}  // namespace

void resetSignals() {
    // The runtime may have blocked or ignored signals; the container starts clean.
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

Result<std::string> lookPath(const std::string& file, const std::vector<std::string>& env) {
    if (file.empty()) return invalid("process.args[0] is empty");
    if (file.find('/') != std::string::npos) {
        if (int e = execProblem(file)) {
            // runc's wording: the docker CLI maps "permission denied" to 126 and "no such file or
            // directory" to 127.
            const char* why = e == ENOENT   ? "no such file or directory"
                              : e == EISDIR ? "is a directory"
                                            : "permission denied";
            return Error{e, fmt::format("exec: \"{}\": {}", file, why), true};
        }
        return file;
    }
    std::string path = envValue(env, "PATH");
    if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string cand = dir + "/" + file;
        if (isExecutableFile(cand)) return cand;
        start = end + 1;
    }
    return Error{ENOENT, fmt::format("exec: \"{}\": executable file not found in $PATH", file),
                 true};
}

Result<std::string> prepare(const Plan& plan) {
    const spec::Process& p = *plan.process;
    TRY_CTX(attrs::applyRlimits(p.rlimits), "process.rlimits");
    if (plan.personality) TRY_CTX(attrs::applyPersonality(*plan.personality), "linux.personality");
    if (p.scheduler) TRY_CTX(attrs::applyScheduler(*p.scheduler), "process.scheduler");
    if (p.ioPriority) TRY_CTX(attrs::applyIoPriority(*p.ioPriority), "process.ioPriority");
    if (!p.execCPUAffinityFinal.empty()) {
        TRY_CTX(attrs::applyCpuAffinity(p.execCPUAffinityFinal), "process.execCPUAffinity.final");
    } else if (!p.execCPUAffinityInitial.empty()) {
        TRY_CTX(attrs::applyCpuAffinity(p.execCPUAffinityInitial),
                "process.execCPUAffinity.initial");
    }
    // Without no_new_privs installing a filter needs CAP_SYS_ADMIN: before capabilities drop.
    if (plan.seccomp && !p.noNewPrivileges) TRY(loadSeccomp(plan));
    if (p.capabilities) {
        TRY_CTX(caps::applyBounding(*p.capabilities), "capabilities");
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return errnoError("prctl keepcaps");
    }
    TRY_CTX(attrs::applyUser(p.user), "process.user");
    if (p.capabilities) TRY_CTX(caps::applyFinal(*p.capabilities), "capabilities");
    if (p.noNewPrivileges) TRY(attrs::applyNoNewPrivileges());
    if (plan.seccomp && p.noNewPrivileges && plan.seccomp->notify) TRY(loadSeccomp(plan));

    std::string cwd = p.cwd.empty() ? "/" : p.cwd;
    if (::chdir(cwd.c_str()) < 0) return errnoError("chdir to process.cwd {}", cwd);
    // A cwd reached through a leaked host fd reads as "(unreachable)/..." or fails.
    char buf[PATH_MAX];
    if (!::getcwd(buf, sizeof buf) || buf[0] != '/') {
        return invalid("current working directory is outside of the container root");
    }
    if (p.args.empty()) return invalid("process.args must not be empty");
    return lookPath(p.args[0], p.env);
}

Error execNow(const Plan& plan, const std::string& path) {
    const spec::Process& p = *plan.process;
    if (plan.seccomp && !loadsEarly(plan)) {
        auto st = loadSeccomp(plan);
        if (!st) return std::move(st).error();
    }
    // Nothing of the runtime's reaches the container but stdio and the preserved fds.
    unsigned first = 3u + static_cast<unsigned>(std::max(0, plan.preserveFds));
    if (::syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
        return errnoError("mark fds close-on-exec");
    }
    resetSignals();
    std::vector<char*> argv, envp;
    for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(path.c_str(), argv.data(), envp.data());
    return errnoError("exec {}", path);
}

Status forwardListener(const seccomp::Program& p, int listenerFd, const std::string& stateJson,
                       pid_t pid) {
    std::string msg = TRY(seccomp::processStateJson(stateJson, pid, p.listenerMetadata));
    return seccomp::sendListener(p.listenerPath, listenerFd, msg);
}

}  // namespace berth::procexec
