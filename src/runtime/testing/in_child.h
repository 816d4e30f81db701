// Test helper: process-wide changes (capabilities, seccomp, rlimits, mounts) are per process and
// mostly one-way, so tests make them in a forked child that reports "" (all checks passed) or
// what failed through a pipe.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace berth::test {

struct Child {
    int status = 0;
    std::string msg;  // what the child reported ("" = all checks passed)
    bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

inline Child inChild(const std::function<std::string()>& fn) {
    int p[2];
    if (pipe(p) < 0) return {-1, "pipe failed"};
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        struct rlimit noCore = {0, 0};  // deaths by SIGSYS must not leave core files around
        setrlimit(RLIMIT_CORE, &noCore);
        std::string m = fn();
        if (!m.empty()) (void)!write(p[1], m.data(), m.size());
        _exit(m.empty() ? 0 : 1);
    }
    close(p[1]);
    Child c;
    char buf[512];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) c.msg.append(buf, static_cast<size_t>(n));
    close(p[0]);
    waitpid(pid, &c.status, 0);
    return c;
}

}  // namespace berth::test
