// The monitor's start: process hygiene, the state directory, the attach socket, the
// container's stdio, then the create helper (mode create) or 'R' to the caller (mode exec).
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "cmd/berth-monitor/monitor.h"
#include "common/log.h"
#include "monitor/protocol.h"
#include "monitor/state_files.h"

namespace berth::monitor::daemon {

namespace {

Status makePipe(int* ours, int* theirs, bool oursIsWriteEnd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return errnoError("pipe");
    *ours = oursIsWriteEnd ? p[1] : p[0];
    *theirs = oursIsWriteEnd ? p[0] : p[1];
    if (::fcntl(*ours, F_SETFL, O_NONBLOCK) < 0) return errnoError("set pipe non-blocking");
    return {};
}

Status processHygiene(Monitor& m) {
    // Only fds 0-2 (/dev/null, monitor.log) and the control socket are ours; whatever else the
    // caller leaked is closed (the container must never see one of berthd's fds).
    ::syscall(SYS_close_range, proto::kControlFd + 1, ~0U, 0);
    m.ctlFd = proto::kControlFd;
    ::fcntl(m.ctlFd, F_SETFD, FD_CLOEXEC);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return errnoError("block SIGCHLD");
    m.sigFd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m.sigFd < 0) return errnoError("signalfd");
    // The container's init is created by a helper's child (the runtime's intermediate process
    // forks it as a sibling): it is reparented to us when the helper exits.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return errnoError("become subreaper");
    if (::chdir("/") < 0) return errnoError("chdir /");
    m.self = ::getpid();
    return {};
}

Status stateDir(Monitor& m) {
    m.dirFd = ::open(m.cfg.stateDir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (m.dirFd < 0) return errnoError("open state dir {}", m.cfg.stateDir);
    m.lockFd = ::openat(m.dirFd, proto::kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m.lockFd < 0) return errnoError("create lock file");
    if (::flock(m.lockFd, LOCK_EX | LOCK_NB) < 0) return errnoError("lock state dir");
    TRY(files::writeState(m.dirFd, {m.self, 0, 0}));
    m.listenFd = TRY(proto::listenAt(m.dirFd, proto::kAttachSock, 16)).release();
    return {};
}

Status stdio(Monitor& m) {
    if (m.cfg.tty) {
        // The runtime connects here during create/exec and sends the pty master.
        m.consoleFd = TRY(proto::listenAt(m.dirFd, proto::kConsoleSock, 1)).release();
        return {};
    }
    if (m.cfg.openStdin) TRY(makePipe(&m.stdinFd, &m.childIo[0], true));
    TRY(makePipe(&m.out[1], &m.childIo[1], false));
    TRY(makePipe(&m.out[2], &m.childIo[2], false));
    return {};
}

}  // namespace

void trimResidentCode() {
    // Setup (argument parsing, fork, formatting) faulted in code the loop never runs again, each
    // fault mapping up to 64 KiB around it: drop those page-table entries (the pages stay in
    // the page cache), so only what the loop touches stays resident. Parsed first, dropped
    // after: the parsing code must not fault itself back in.
    char buf[8192];
    int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    struct Range {
        unsigned long lo, hi;
    } ranges[16];
    int count = 0;
    for (char* line = buf; line && *line && count < 16;) {
        char* next = std::strchr(line, '\n');
        if (next) *next++ = 0;
        unsigned long lo, hi, off, inode;
        char perms[8];
        unsigned dmaj, dmin;
        if (std::sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perms, &off, &dmaj, &dmin,
                        &inode) == 7 &&
            inode != 0 && perms[1] == '-') {
            ranges[count++] = {lo, hi};
        }
        line = next;
    }
    for (int i = 0; i < count; i++) {
        ::madvise(reinterpret_cast<void*>(ranges[i].lo), ranges[i].hi - ranges[i].lo,
                  MADV_DONTNEED);
    }
}

Status setup() {
    Monitor& m = mon();
    TRY(processHygiene(m));
    TRY(stateDir(m));
    TRY(stdio(m));
    if (!m.cfg.exec && !m.cfg.logPath.empty()) {
        static LogWriter writer;  // static: its line buffers live in .bss, touched only when used
        TRY(writer.open(m.cfg.logPath, m.cfg.logMaxSize, m.cfg.logMaxFiles));
        m.log = &writer;
    }
    if (m.cfg.exec) {
        TRY(proto::sendMsg(m.ctlFd, 'R', 0));
        m.phase = Phase::Ready;
        return {};
    }
    return forkHelper(HelperKind::Create);
}

void failStart(const Error& e) {
    Monitor& m = mon();
    log::error("{}: {}", m.cfg.exec ? m.cfg.execId : m.cfg.id, e.str());
    if (m.ctlFd >= 0) (void)proto::sendError(m.ctlFd, e);
    if (m.dirFd >= 0) {
        ExitStatus x;
        x.exitCode = exitCodeHint(e);
        x.finishedAtNs = proto::nowNs();
        x.error = e.str();
        (void)files::writeExit(m.dirFd, x);
        ::unlinkat(m.dirFd, proto::kAttachSock, 0);
        ::unlinkat(m.dirFd, proto::kConsoleSock, 0);
    }
    // The lock goes before the control socket: once start() sees EOF, we hold nothing.
    if (m.lockFd >= 0) ::close(m.lockFd);
    _exit(1);
}

}  // namespace berth::monitor::daemon
