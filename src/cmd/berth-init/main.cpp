// berth-init: the init of `docker run --init` (docker-init/tini semantics), bind-mounted into
// the container at /sbin/docker-init and run as pid 1: `docker-init -- cmd args...`.
//
// It runs its argv as a child in a process group of its own (the terminal's foreground group
// when stdin is a TTY), forwards every signal it can catch to that child, reaps every zombie
// reparented to it, and exits with the child's status: its exit code, or 128+signal when it
// was killed. Tiny and static: no C++ runtime, no stdio, no allocation.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

void say(const char* a, const char* b = "", const char* c = "", const char* d = "") {
    const char* parts[] = {"berth-init: ", a, b, c, d, "\n"};
    for (const char* s : parts) {
        size_t n = strlen(s);
        while (n > 0) {
            ssize_t w = write(2, s, n);
            if (w <= 0) return;
            s += w;
            n -= static_cast<size_t>(w);
        }
    }
}

// Signals that report a fault in this process itself, or that we must not block.
bool isSynchronous(int sig) {
    return sig == SIGFPE || sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT ||
           sig == SIGTRAP || sig == SIGSYS || sig == SIGKILL || sig == SIGSTOP;
}

// Reaps every exited child; returns true (with *status) once `child` was among them.
bool reap(pid_t child, int* status) {
    bool done = false;
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) return done;
        if (pid == child) {
            *status = st;
            done = true;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        }
        if (strcmp(argv[first], "-s") != 0 && strcmp(argv[first], "-g") != 0) {
            say("unknown option ", argv[first]);
            return 2;
        }
        first++;  // -s (subreaper) and -g are accepted for tini compatibility
    }
    if (first >= argc) {
        say("usage: berth-init [--] PROGRAM [ARGS...]");
        return 2;
    }
    // Not pid 1 (e.g. a shared pid namespace): still reap what is reparented to us.
    if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    sigset_t all, old;
    sigfillset(&all);
    for (int sig = 1; sig < NSIG; sig++) {
        if (isSynchronous(sig)) sigdelset(&all, sig);
    }
    sigprocmask(SIG_SETMASK, &all, &old);
    // A background process group writing to or reading the terminal must not stop us.
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);

    pid_t child = fork();
    if (child < 0) {
        say("fork: ", strerror(errno));
        return 1;
    }
    if (child == 0) {
        setpgid(0, 0);
        if (isatty(0)) tcsetpgrp(0, getpid());
        signal(SIGTTIN, SIG_DFL);
        signal(SIGTTOU, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, nullptr);
        execvp(argv[first], argv + first);
        int e = errno;
        say("exec ", argv[first], ": ", strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0) continue;  // EINTR
        if (sig == SIGCHLD) {
            int status = 0;
            if (reap(child, &status)) {
                if (WIFEXITED(status)) return WEXITSTATUS(status);
                return 128 + WTERMSIG(status);
            }
            continue;
        }
        // SIGWINCH, SIGURG, SIGCHLD-like noise are forwarded too: the child decides.
        if (kill(child, sig) < 0 && errno != ESRCH) say("forward signal: ", strerror(errno));
    }
}
