// docker's stream formats on the client side and the hijacked attach/exec copy loop: one
// poll(2) loop over the connection, stdin and SIGWINCH.
#include "cli/stream.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "cli/tty.h"

namespace berth::cli {

namespace {

Status writeOut(int fd, std::string_view d) {
    while (!d.empty()) {
        ssize_t n = ::write(fd, d.data(), d.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {  // a non-blocking terminal or pipe inherited
            pollfd p{fd, POLLOUT, 0};
            (void)::poll(&p, 1, -1);
            continue;
        }
        if (n <= 0) return errnoError("write to fd {}", fd);
        d.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

}  // namespace

FrameDemuxer::FrameDemuxer(int outFd, int errFd)
    : sink_([outFd, errFd](int stream, std::string_view d) {
          return writeOut(stream == 2 ? errFd : outFd, d);
      }) {}

bool LineSplitter::feed(std::string_view d) {
    buf_.append(d);
    size_t start = 0, nl;
    bool more = true;
    while (more && (nl = buf_.find('\n', start)) != std::string::npos) {
        std::string_view line(buf_.data() + start, nl - start);
        start = nl + 1;
        if (line.find_first_not_of(" \r\t") != std::string_view::npos) more = sink_(line);
    }
    buf_.erase(0, start);
    return more;
}

Status FrameDemuxer::feed(std::string_view d) {
    while (!d.empty()) {
        if (left_ == 0 && hdrLen_ < sizeof hdr_) {
            size_t n = std::min(sizeof hdr_ - hdrLen_, d.size());
            memcpy(hdr_ + hdrLen_, d.data(), n);
            hdrLen_ += n;
            d.remove_prefix(n);
            if (hdrLen_ < sizeof hdr_) return {};
            stream_ = hdr_[0];
            if (stream_ > 3) return makeError(EPROTO, "Unrecognized input header: {}", stream_);
            left_ = static_cast<uint32_t>(hdr_[4]) << 24 | static_cast<uint32_t>(hdr_[5]) << 16 |
                    static_cast<uint32_t>(hdr_[6]) << 8 | static_cast<uint32_t>(hdr_[7]);
            hdrLen_ = 0;
            if (left_ == 0) continue;
        }
        size_t n = std::min<size_t>(left_, d.size());
        auto piece = d.substr(0, n);
        d.remove_prefix(n);
        left_ -= static_cast<uint32_t>(n);
        if (stream_ == 3) {
            sysErr_.append(piece);
            if (left_ == 0)
                return makeError(EIO, "error from daemon in stream: {}", std::move(sysErr_));
            continue;
        }
        TRY(sink_(stream_, piece));
    }
    return {};
}

Result<PumpResult> pumpHijacked(Hijacked& h, const PumpOptions& o) {
    std::string keys;
    if (o.tty && !o.detachKeys.empty()) keys = TRY(parseDetachKeys(o.detachKeys));
    DetachScanner scan(std::move(keys));
    FrameDemuxer demux(o.outFd, o.errFd);
    Conn& c = *h.conn;
    auto output = [&](std::string_view d) -> Status {
        if (o.tty) return writeOut(o.outFd, d);
        return demux.feed(d);
    };
    if (!h.early.empty()) {
        TRY(output(h.early));
        h.early.clear();
    }

    std::optional<WinchWatcher> winch;
    auto resize = [&] {
        auto s = windowSize(o.outFd);
        if (!s) s = windowSize(o.inFd);
        if (s) o.onResize(s->first, s->second);
    };
    if (o.tty && o.onResize) {
        resize();
        // Without a watcher (another one active) the size is only set once.
        if (auto w = WinchWatcher::create()) winch.emplace(std::move(*w));
    }

    bool inOpen = o.inFd >= 0;
    // stdin is only read once the connection can take it (POLLOUT): a blocking write into a
    // full socket while the daemon waits for us to read its output would deadlock both.
    bool canSend = false;
    std::string fwd;
    char buf[32768];
    for (;;) {
        pollfd p[3] = {
            {c.fd(), static_cast<short>(POLLIN | (inOpen && !canSend ? POLLOUT : 0)), 0},
            {inOpen && canSend ? o.inFd : -1, POLLIN, 0},
            {winch ? winch->fd() : -1, POLLIN, 0},
        };
        int r = ::poll(p, 3, c.pending() ? 0 : -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errnoError("poll the attach stream");
        }
        if (p[2].revents & POLLIN) {
            if (winch->drain()) resize();
        }
        if (p[0].revents & POLLOUT) canSend = true;
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) || c.pending()) {
            ssize_t n = c.readSome(buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return errnoError("read the attach stream");
            if (n == 0) break;  // the output ended: the process exited (or the daemon cut it)
            TRY(output(std::string_view(buf, static_cast<size_t>(n))));
        }
        if (p[1].revents) {
            // A small read: what POLLOUT promised room for goes out without blocking.
            ssize_t n = ::read(o.inFd, buf, 4096);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            canSend = false;
            if (n > 0) {
                fwd.clear();
                bool detach = scan.feed(std::string_view(buf, static_cast<size_t>(n)), fwd);
                if (!fwd.empty()) TRY_CTX(c.writeAll(fwd), "send stdin");
                if (detach) return PumpResult{true};
            } else {
                // EOF (or a read error, which docker treats alike): the process's stdin ends,
                // its output keeps coming. A held partial sequence was typed after all.
                if (!scan.held().empty()) TRY_CTX(c.writeAll(scan.held()), "send stdin");
                c.shutdownWrite();
                inOpen = false;
            }
        }
    }
    return PumpResult{false};
}

}  // namespace berth::cli
