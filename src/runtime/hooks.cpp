#include "runtime/hooks.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/scope_guard.h"
#include "common/sys.h"
#include "runtime/process_exec.h"

namespace berth::hooks {

namespace {

int64_t nowMs() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

std::string trimOutput(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    if (s.size() > 4096) s = s.substr(0, 4096) + "...";
    return s;
}

Status runOne(const spec::Hook& h, const std::string& stateJson) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) < 0) return errnoError("pipe");
    UniqueFd inR(in[0]), inW(in[1]);
    if (::pipe2(out, O_CLOEXEC) < 0) return errnoError("pipe");
    UniqueFd outR(out[0]), outW(out[1]);

    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) return errnoError("fork");
    if (pid == 0) {
        procexec::resetSignals();
        ::dup2(inR.get(), 0);
        ::dup2(outW.get(), 1);
        ::dup2(outW.get(), 2);
        ::execve(h.path.c_str(), argv.data(), envp.data());
        std::string msg = fmt::format("exec: {}\n", strerror(errno));
        (void)!::write(2, msg.data(), msg.size());
        _exit(127);
    }
    inR.reset();
    outW.reset();
    // The hook may not read its stdin; a full pipe must not block us, nor SIGPIPE kill us.
    struct sigaction ign = {}, old = {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old);
    int fl = ::fcntl(inW.get(), F_GETFL);
    ::fcntl(inW.get(), F_SETFL, fl | O_NONBLOCK);
    (void)!::write(inW.get(), stateJson.data(), stateJson.size());
    inW.reset();
    ::sigaction(SIGPIPE, &old, nullptr);

    std::string output;
    int64_t deadline = h.timeout ? nowMs() + int64_t{*h.timeout} * 1000 : -1;
    bool timedOut = false;
    for (;;) {
        int wait = -1;
        if (deadline >= 0) {
            wait = static_cast<int>(std::max<int64_t>(0, deadline - nowMs()));
        }
        struct pollfd p = {outR.get(), POLLIN, 0};
        int r = ::poll(&p, 1, wait);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) {
            timedOut = true;
            ::kill(pid, SIGKILL);
            break;
        }
        char buf[4096];
        ssize_t n = ::read(outR.get(), buf, sizeof buf);
        if (n <= 0) break;
        if (output.size() < 65536) output.append(buf, static_cast<size_t>(n));
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (timedOut) return invalid("timed out after {}s", *h.timeout);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return {};
    std::string why = WIFEXITED(st) ? fmt::format("exit status {}", WEXITSTATUS(st))
                                    : fmt::format("killed by signal {}", WTERMSIG(st));
    output = trimOutput(output);
    if (!output.empty()) why += ": " + output;
    return invalid("{}", why);
}

}  // namespace

Status run(const std::vector<spec::Hook>& list, const std::string& stateJson, const char* kind) {
    for (size_t i = 0; i < list.size(); i++) {
        TRY_CTX(runOne(list[i], stateJson), "{} hook #{} ({})", kind, i, list[i].path);
    }
    return {};
}

void runWarn(const std::vector<spec::Hook>& list, const std::string& stateJson, const char* kind) {
    for (size_t i = 0; i < list.size(); i++) {
        auto st = runOne(list[i], stateJson);
        if (!st) log::warn("{} hook #{} ({}): {}", kind, i, list[i].path, st.error().str());
    }
}

}  // namespace berth::hooks
