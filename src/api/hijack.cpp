// The hijacked attach/exec stream: one poll loop copying both ways between the client
// connection and the engine's AttachStream fd (which already carries docker's framing), with
// docker's detach key watch on the client's stdin.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "api/conn.h"
#include "api/serve.h"

namespace berth::api {

namespace {

Status writeFdAll(int fd, std::string_view d) {
    while (!d.empty()) {
        ssize_t r = ::send(fd, d.data(), d.size(), MSG_NOSIGNAL);
        if (r < 0 && errno == ENOTSOCK) r = ::write(fd, d.data(), d.size());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return errnoError("write to the container stream");
        d.remove_prefix(static_cast<size_t>(r));
    }
    return {};
}

// Reads what the client still sends until it closes: closing a socket with unread input
// makes the kernel reset the connection, and the client reports "connection reset by peer"
// instead of a clean end of the stream.
void drainClient(Conn& c) {
    char buf[4096];
    for (int i = 0; i < 100; i++) {
        pollfd p{c.fd(), POLLIN, 0};
        if (!c.pending() && ::poll(&p, 1, 20) <= 0) {
            if (i >= 10) break;  // nothing for 200 ms: the client is not sending
            continue;
        }
        if (c.readSome(buf, sizeof buf) <= 0) break;
    }
}

}  // namespace

Result<bool> copyHijacked(Conn& c, int fd, const HijackOptions& o) {
    DetachScanner scan(o.detachKeys);
    bool clientOpen = true;  // still reading the client (stdin)
    bool detached = false;
    std::string in;
    char buf[32768];
    // Client bytes -> the process's stdin, through the detach watch; false when the client
    // cannot be served any more (the stream refused them, or the sequence was typed).
    auto toStdin = [&](std::string_view d) {
        in.clear();
        detached = scan.feed(d, in);
        if (!in.empty() && !writeFdAll(fd, in)) clientOpen = false;
        return clientOpen && !detached;
    };
    if (!o.early.empty() && !toStdin(o.early)) clientOpen = false;
    while (!detached) {
        pollfd p[2] = {{fd, POLLIN, 0}, {c.fd(), POLLIN, 0}};
        int n = 1;
        if (clientOpen) n = 2;
        int timeout = clientOpen && c.pending() ? 0 : -1;
        int r = ::poll(p, n, timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errnoError("poll hijacked stream");
        }
        if (p[0].revents) {
            ssize_t got = ::read(fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;  // the stream ended: the process exited (or detached)
            if (!c.writeAll(std::string_view(buf, static_cast<size_t>(got)))) return false;
        }
        if (clientOpen && (p[1].revents || c.pending())) {
            ssize_t got = c.readSome(buf, sizeof buf);
            if (got > 0) {
                if (!toStdin(std::string_view(buf, static_cast<size_t>(got)))) clientOpen = false;
            } else if (got < 0) {
                return false;  // reset: nobody reads the output any more
            } else if (o.stopping && o.stopping->load()) {
                return true;  // the daemon cut the connection: a detach, stdin stays open
            } else {
                // Client half-close: the process's stdin ends (after a held partial
                // sequence, which was typed after all); keep sending output.
                if (!scan.held().empty()) (void)writeFdAll(fd, scan.held());
                ::shutdown(fd, SHUT_WR);
                clientOpen = false;
            }
        }
    }
    if (!detached && o.beforeEof) o.beforeEof();
    c.shutdownWrite();
    drainClient(c);
    return detached;
}

}  // namespace berth::api
