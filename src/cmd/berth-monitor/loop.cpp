// The monitor's event loop: the start handshake, the container's output (log + attachers),
// stdin, attach/resize/wait requests, and SIGCHLD. One thread, poll(), fixed buffers.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/berth-monitor/monitor.h"
#include "common/log.h"
#include "monitor/mux.h"
#include "monitor/protocol.h"
#include "monitor/state_files.h"

namespace berth::monitor::daemon {

namespace {

// What an attacher may have queued before it is dropped (kernel memory, not ours; the kernel
// doubles it for its bookkeeping: about 4 MiB of output).
constexpr int kClientSndBuf = 2 << 20;
constexpr int kSlowClientMs = 500;

char ioBuf[kIoBuf];

void dropClient(Client& c) {
    ::close(c.fd);
    c = Client{};
}

void closeStdin(Monitor& m) {
    if (m.stdinFd >= 0 && m.stdinFd != m.ptyFd) ::close(m.stdinFd);
    m.stdinFd = -1;
    m.stdinLen = m.stdinOff = 0;
}

void flushStdin(Monitor& m) {
    while (m.stdinFd >= 0 && m.stdinOff < m.stdinLen) {
        ssize_t n = ::write(m.stdinFd, m.stdinBuf + m.stdinOff, m.stdinLen - m.stdinOff);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;  // poll for POLLOUT
        if (n < 0) {                           // EPIPE: the process closed its stdin
            closeStdin(m);
            return;
        }
        m.stdinOff += static_cast<size_t>(n);
    }
    m.stdinLen = m.stdinOff = 0;
    if (m.stdinCloseWanted) closeStdin(m);
}

// Sends what is left of a frame (header + payload) from byte `off`; returns the new offset, or
// -1 when the client is gone.
ssize_t sendFrom(int fd, const char* hdr, size_t hdrLen, const char* data, size_t n, size_t off) {
    iovec iov[2];
    int cnt = 0;
    if (off < hdrLen) iov[cnt++] = {const_cast<char*>(hdr + off), hdrLen - off};
    size_t dOff = off > hdrLen ? off - hdrLen : 0;
    iov[cnt++] = {const_cast<char*>(data + dOff), n - dOff};
    msghdr mh = {};
    mh.msg_iov = iov;
    mh.msg_iovlen = static_cast<size_t>(cnt);
    ssize_t w = ::sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN || errno == EINTR ? static_cast<ssize_t>(off) : -1;
    return static_cast<ssize_t>(off) + w;
}

// Copies output to every attacher that wants it. One whose socket is full (about 4 MiB queued)
// gets kSlowClientMs to make room for this frame, then is dropped: a reader that keeps up only
// slowly paces the output like docker's attach does, one that stopped reading cannot stall
// the container for longer than that.
void fanOut(Monitor& m, int stream, const char* data, size_t n) {
    uint8_t want = m.cfg.tty ? proto::kStdout : stream == 1 ? proto::kStdout : proto::kStderr;
    char hdr[mux::kHeaderSize];
    mux::encodeHeader(static_cast<uint8_t>(stream), static_cast<uint32_t>(n), hdr);
    size_t hdrLen = m.cfg.tty ? 0 : sizeof hdr;
    size_t total = hdrLen + n;
    pollfd late[kMaxClients];
    size_t sent[kMaxClients];
    int idx[kMaxClients];
    int nLate = 0;
    for (int i = 0; i < kMaxClients; i++) {
        Client& c = m.clients[i];
        if (c.fd < 0 || c.pending || c.wait || !(c.flags & want)) continue;
        ssize_t off = sendFrom(c.fd, hdr, hdrLen, data, n, 0);
        if (off < 0) {
            dropClient(c);
        } else if (static_cast<size_t>(off) < total) {
            late[nLate] = {c.fd, POLLOUT, 0};
            sent[nLate] = static_cast<size_t>(off);
            idx[nLate++] = i;
        }
    }
    int64_t deadline = proto::nowNs() + int64_t{kSlowClientMs} * 1000000;
    while (nLate > 0) {
        int64_t left = (deadline - proto::nowNs()) / 1000000;
        if (left <= 0 || ::poll(late, static_cast<nfds_t>(nLate), static_cast<int>(left)) < 0) {
            if (left > 0 && errno == EINTR) continue;
            for (int k = 0; k < nLate; k++) dropClient(m.clients[idx[k]]);
            return;
        }
        for (int k = 0; k < nLate;) {
            ssize_t off = late[k].revents ? sendFrom(late[k].fd, hdr, hdrLen, data, n, sent[k])
                                          : static_cast<ssize_t>(sent[k]);
            if (off >= 0 && static_cast<size_t>(off) < total) {
                sent[k++] = static_cast<size_t>(off);
                continue;
            }
            if (off < 0) dropClient(m.clients[idx[k]]);
            nLate--;
            late[k] = late[nLate];
            sent[k] = sent[nLate];
            idx[k] = idx[nLate];
        }
    }
}

}  // namespace

// Reads one chunk of a stream; false once the stream has ended.
bool pumpOutput(Monitor& m, int stream) {
    ssize_t n = ::read(m.out[stream], ioBuf, sizeof ioBuf);
    if (n > 0) {
        fanOut(m, stream, ioBuf, static_cast<size_t>(n));
        if (m.log) {
            if (auto st = m.log->write(stream, {ioBuf, static_cast<size_t>(n)}, proto::nowNs());
                !st) {
                log::warn("{}: {}", m.cfg.id, st.error().str());
            }
        }
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    // EOF, or EIO from a pty whose last slave closed.
    if (m.out[stream] != m.ptyFd) ::close(m.out[stream]);
    m.out[stream] = -1;
    if (m.log) (void)m.log->flush(stream, proto::nowNs());
    return false;
}

namespace {

void acceptClients(Monitor& m) {
    for (;;) {
        int fd = ::accept4(m.listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        Client* slot = nullptr;
        for (Client& c : m.clients) {
            if (c.fd < 0) {
                slot = &c;
                break;
            }
        }
        if (!slot) {
            ::close(fd);
            continue;
        }
        if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kClientSndBuf, sizeof kClientSndBuf) <
            0) {
            ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kClientSndBuf, sizeof kClientSndBuf);
        }
        *slot = Client{};
        slot->fd = fd;
    }
}

void handleRequest(Monitor& m, Client& c) {
    char buf[proto::kRequestSize];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n != static_cast<ssize_t>(sizeof buf)) return dropClient(c);
    auto r = proto::decodeRequest(buf);
    char ok = proto::kOk;
    switch (r.type) {
        case proto::kAttach:
            c.flags = r.flags;
            c.pending = false;
            // Nothing to read from an attacher that does not stream stdin: watch for hangup only.
            c.inClosed = !(c.flags & proto::kStdin);
            (void)::send(c.fd, &ok, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            return;
        case proto::kResize:
            if (m.ptyFd >= 0) {
                winsize ws = {};
                ws.ws_row = r.height;
                ws.ws_col = r.width;
                if (::ioctl(m.ptyFd, TIOCSWINSZ, &ws) < 0) ok = proto::kRefused;
            }
            (void)::send(c.fd, &ok, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            return dropClient(c);
        case proto::kWait:
            c.wait = true;
            c.pending = false;
            c.inClosed = true;
            return;
        default:
            return dropClient(c);
    }
}

// An attacher streaming stdin: read into the (empty) stdin buffer.
void readClientStdin(Monitor& m, Client& c) {
    if (m.stdinLen > 0) return;  // another attacher filled it in this round
    ssize_t n = ::read(c.fd, m.stdinBuf, sizeof m.stdinBuf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n < 0) return dropClient(c);
    if (n == 0) {
        c.inClosed = true;
        if (m.cfg.stdinOnce && !m.cfg.tty) {
            m.stdinCloseWanted = true;
            flushStdin(m);
        }
        return;
    }
    if (m.stdinFd < 0) return;  // no stdin (or already closed): dropped
    m.stdinLen = static_cast<size_t>(n);
    m.stdinOff = 0;
    flushStdin(m);
}

void handleHelper(Monitor& m) {
    auto msg = proto::recvMsg(m.helperFd);
    if (!msg || msg->kind == 'E') {
        ::close(m.helperFd);
        m.helperFd = -1;
        if (!msg && m.phase == Phase::Running) return;  // a finished helper's EOF
        failStart(msg ? msg->err : msg.error().wrap("monitor helper died"));
    }
    if (msg->kind == 'C' && m.phase == Phase::Creating) {
        m.target = static_cast<pid_t>(msg->a);
        if (m.cfg.tty) {
            if (auto st = takePty(); !st) failStart(st.error());
        }
        if (auto st = proto::sendMsg(m.ctlFd, 'R', m.target); !st) failStart(st.error());
        m.phase = Phase::Ready;
    } else if (msg->kind == 'S' && m.phase == Phase::Starting) {
        m.target = static_cast<pid_t>(msg->a);
        if (m.cfg.exec && m.cfg.tty) {
            if (auto st = takePty(); !st) failStart(st.error());
        }
        m.startedAt = proto::nowNs();
        if (auto st = files::writeState(m.dirFd, {m.self, m.target, m.startedAt}); !st) {
            log::warn("{}: {}", m.cfg.id, st.error().str());
        }
        (void)proto::sendMsg(m.ctlFd, 'S', m.self, m.target, m.startedAt);
        ::close(m.ctlFd);
        m.ctlFd = -1;
        m.phase = Phase::Running;
    }
    // Its status may have been collected before we knew which pid it was.
    for (int i = 0; i < m.nReaped && m.target; i++) {
        if (m.reaped[i].pid == m.target) {
            m.exited = true;
            m.waitStatus = m.reaped[i].status;
            m.finishedAt = proto::nowNs();
        }
    }
}

void handleControl(Monitor& m) {
    auto msg = proto::recvMsg(m.ctlFd);
    if (msg && msg->kind == 'G' && m.phase == Phase::Ready) {
        m.phase = Phase::Starting;
        if (m.cfg.exec) {
            if (auto st = forkHelper(HelperKind::Exec); !st) failStart(st.error());
        } else if (auto st = proto::sendMsg(m.helperFd, 'G'); !st) {
            failStart(st.error());
        }
        return;
    }
    if (!msg && m.phase != Phase::Starting) {
        // The caller died before the process ran: drop the container (the create helper
        // deletes it when its socket closes) and leave the reason behind.
        if (m.helperFd >= 0) ::close(m.helperFd);
        m.helperFd = -1;
        ::close(m.ctlFd);
        m.ctlFd = -1;
        failStart(makeError(ECANCELED, "start aborted: the caller went away"));
    }
    if (!msg) {
        ::close(m.ctlFd);
        m.ctlFd = -1;
    }
}

}  // namespace

void runLoop() {
    Monitor& m = mon();
    enum Kind : uint8_t { kSig, kCtl, kHelper, kListen, kOut1, kOut2, kStdinOut, kClient };
    pollfd pfd[8 + kMaxClients];
    uint8_t kind[8 + kMaxClients];
    int ref[8 + kMaxClients];
    bool trimmed = false;
    for (;;) {
        int n = 0;
        auto add = [&](int fd, short ev, Kind k, int r = 0) {
            pfd[n] = {fd, ev, 0};
            kind[n] = k;
            ref[n++] = r;
        };
        add(m.sigFd, POLLIN, kSig);
        if (m.helperFd >= 0) add(m.helperFd, POLLIN, kHelper);
        if (m.ctlFd >= 0) add(m.ctlFd, POLLIN, kCtl);
        add(m.listenFd, POLLIN, kListen);
        if (m.out[1] >= 0) add(m.out[1], POLLIN, kOut1);
        if (m.out[2] >= 0) add(m.out[2], POLLIN, kOut2);
        if (m.stdinFd >= 0 && m.stdinLen > 0) add(m.stdinFd, POLLOUT, kStdinOut);
        for (int i = 0; i < kMaxClients; i++) {
            Client& c = m.clients[i];
            if (c.fd < 0) continue;
            // A stdin attacher waits while the stdin buffer is full (backpressure).
            if (!c.pending && !c.inClosed && m.stdinLen > 0) continue;
            add(c.fd, c.inClosed ? 0 : POLLIN, kClient, i);
        }
        if (::poll(pfd, static_cast<nfds_t>(n), -1) < 0) {
            if (errno == EINTR) continue;
            log::error("{}: poll: {}", m.cfg.id, errnoName(errno));
            _exit(1);
        }
        for (int i = 0; i < n; i++) {
            short re = pfd[i].revents;
            if (!re) continue;
            switch (kind[i]) {
                case kHelper:
                    if (m.helperFd >= 0) handleHelper(m);
                    break;
                case kCtl:
                    if (m.ctlFd >= 0) handleControl(m);
                    break;
                case kSig: {
                    signalfd_siginfo si;
                    while (::read(m.sigFd, &si, sizeof si) > 0) {
                    }
                    reapChildren();
                    break;
                }
                case kListen:
                    acceptClients(m);
                    break;
                case kOut1:
                    pumpOutput(m, 1);
                    break;
                case kOut2:
                    pumpOutput(m, 2);
                    break;
                case kStdinOut:
                    flushStdin(m);
                    break;
                case kClient: {
                    Client& c = m.clients[ref[i]];
                    if (c.fd != pfd[i].fd) break;  // dropped meanwhile
                    if (c.pending) {
                        handleRequest(m, c);
                    } else if (re & POLLIN) {
                        if (c.flags & proto::kStdin) {
                            readClientStdin(m, c);
                        } else {
                            char sink[512];
                            if (::read(c.fd, sink, sizeof sink) <= 0) c.inClosed = true;
                        }
                    } else if (re & (POLLHUP | POLLERR)) {
                        dropClient(c);
                    }
                    break;
                }
            }
        }
        if (m.exited && m.phase == Phase::Running) finish();
        // Once the start is over (the helper has gone and is reaped), only the loop runs.
        if (m.phase == Phase::Running && m.helperFd < 0 && m.helperPid == 0 && !trimmed) {
            trimResidentCode();
            trimmed = true;
        }
    }
}

}  // namespace berth::monitor::daemon
