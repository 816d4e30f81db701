// The multiplexed-frame demuxer, the detach key watch, the hijacked-stream pump over a
// socketpair standing in for the daemon connection, and the terminal helpers on a pty.
#include "cli/stream.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cli/tty.h"
#include "common/unique_fd.h"

using namespace std::string_literals;

namespace berth::cli {
namespace {

class FakeConn : public Conn {
  public:
    explicit FakeConn(int fd) : fd_(fd) {}
    ssize_t readSome(void* buf, size_t n) override { return ::read(fd_.get(), buf, n); }
    Status writeAll(std::string_view d) override {
        while (!d.empty()) {
            ssize_t n = ::send(fd_.get(), d.data(), d.size(), MSG_NOSIGNAL);
            if (n <= 0) return errnoError("send");
            d.remove_prefix(static_cast<size_t>(n));
        }
        return {};
    }
    void shutdownWrite() override {
        ::shutdown(fd_.get(), SHUT_WR);
        halfClosed = true;
    }
    int fd() const override { return fd_.get(); }
    bool pending() const override { return false; }
    bool halfClosed = false;

  private:
    UniqueFd fd_;
};

std::string frame(int stream, std::string_view payload) {
    std::string f(8, '\0');
    f[0] = static_cast<char>(stream);
    uint32_t n = static_cast<uint32_t>(payload.size());
    f[4] = static_cast<char>(n >> 24);
    f[5] = static_cast<char>(n >> 16);
    f[6] = static_cast<char>(n >> 8);
    f[7] = static_cast<char>(n);
    return f + std::string(payload);
}

std::string readAll(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

struct Pipe {
    UniqueFd r, w;
    Pipe() {
        int p[2];
        EXPECT_EQ(::pipe(p), 0);
        r.reset(p[0]);
        w.reset(p[1]);
    }
};

// --- FrameDemuxer ---------------------------------------------------------------------

TEST(LineSplitter, LinesCutAcrossFeedsBlankLinesSkippedStopHonoured) {
    std::vector<std::string> got;
    LineSplitter lines([&](std::string_view l) {
        got.emplace_back(l);
        return l != "stop";
    });
    EXPECT_TRUE(lines.feed("{\"a\":1}\n{\"b\""));
    EXPECT_EQ(got, (std::vector<std::string>{"{\"a\":1}"}));
    EXPECT_TRUE(lines.feed(":2}\n \r\n\npart"));
    EXPECT_EQ(got, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
    EXPECT_EQ(lines.rest(), "part");
    EXPECT_FALSE(lines.feed("ial\nstop\nafter\n"));
    EXPECT_EQ(got, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "partial", "stop"}));
    EXPECT_EQ(lines.rest(), "after\n");
}

TEST(FrameDemuxer, SplitsStreams) {
    std::vector<std::pair<int, std::string>> got;
    FrameDemuxer d([&](int s, std::string_view p) {
        got.emplace_back(s, std::string(p));
        return okStatus();
    });
    ASSERT_TRUE(d.feed(frame(1, "out\n") + frame(2, "err\n") + frame(0, "in")).ok());
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], std::make_pair(1, "out\n"s));
    EXPECT_EQ(got[1], std::make_pair(2, "err\n"s));
    EXPECT_EQ(got[2], std::make_pair(0, "in"s));
    EXPECT_TRUE(d.atFrameBoundary());
}

TEST(FrameDemuxer, FramesSplitAcrossFeeds) {
    std::string out, err;
    FrameDemuxer d([&](int s, std::string_view p) {
        (s == 2 ? err : out).append(p);
        return okStatus();
    });
    std::string all = frame(1, "hello ") + frame(2, "oops") + frame(1, "") + frame(1, "world");
    for (char c : all) {  // one byte at a time: headers and payloads cut everywhere
        ASSERT_TRUE(d.feed(std::string_view(&c, 1)).ok());
    }
    EXPECT_EQ(out, "hello world");
    EXPECT_EQ(err, "oops");
    EXPECT_TRUE(d.atFrameBoundary());
    ASSERT_TRUE(d.feed(all.substr(0, 10)).ok());
    EXPECT_FALSE(d.atFrameBoundary());
}

TEST(FrameDemuxer, LargeFrameInPieces) {
    std::string payload(100000, 'x'), out;
    FrameDemuxer d([&](int, std::string_view p) {
        out.append(p);
        return okStatus();
    });
    std::string all = frame(1, payload);
    for (size_t i = 0; i < all.size(); i += 4093) ASSERT_TRUE(d.feed(all.substr(i, 4093)).ok());
    EXPECT_EQ(out, payload);
}

TEST(FrameDemuxer, WritesToFds) {
    Pipe o, e;
    FrameDemuxer d(o.w.get(), e.w.get());
    ASSERT_TRUE(d.feed(frame(1, "a") + frame(2, "b") + frame(1, "c")).ok());
    o.w.reset();
    e.w.reset();
    EXPECT_EQ(readAll(o.r.get()), "ac");
    EXPECT_EQ(readAll(e.r.get()), "b");
}

TEST(FrameDemuxer, DaemonErrorFrame) {
    FrameDemuxer d([](int, std::string_view) { return okStatus(); });
    std::string f = frame(3, "exec failed");
    ASSERT_TRUE(d.feed(f.substr(0, 12)).ok());
    auto st = d.feed(f.substr(12));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().msg, "error from daemon in stream: exec failed");
}

TEST(FrameDemuxer, BadHeader) {
    FrameDemuxer d([](int, std::string_view) { return okStatus(); });
    auto st = d.feed("\x07\0\0\0\0\0\0\x01x"s);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().msg, "Unrecognized input header: 7");
}

TEST(FrameDemuxer, SinkErrorStops) {
    int calls = 0;
    FrameDemuxer d([&](int, std::string_view) -> Status {
        calls++;
        return Error{EPIPE, "closed"};
    });
    EXPECT_FALSE(d.feed(frame(1, "a") + frame(1, "b")).ok());
    EXPECT_EQ(calls, 1);
}

// --- pumpHijacked ---------------------------------------------------------------------

struct PumpFixture {
    UniqueFd daemon;  // the daemon's end of the connection
    Hijacked h;
    FakeConn* conn = nullptr;
    PumpFixture() {
        int sp[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
        daemon.reset(sp[1]);
        auto c = std::make_unique<FakeConn>(sp[0]);
        conn = c.get();
        h.conn = std::move(c);
    }
};

TEST(Pump, NonTtyCopiesBothWaysAndHalfCloses) {
    PumpFixture f;
    f.h.early = frame(1, "early ");
    Pipe in, out, err;
    ASSERT_EQ(::write(in.w.get(), "input", 5), 5);
    in.w.reset();  // stdin EOF at once
    std::thread daemon([&] {
        std::string got = readAll(f.daemon.get());  // until the half-close
        std::string reply = frame(1, "got " + got) + frame(2, "warn");
        (void)::write(f.daemon.get(), reply.data(), reply.size());
        f.daemon.reset();
    });
    PumpOptions o;
    o.inFd = in.r.get();
    o.outFd = out.w.get();
    o.errFd = err.w.get();
    auto r = pumpHijacked(f.h, o);
    daemon.join();
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_FALSE(r->detached);
    EXPECT_TRUE(f.conn->halfClosed);
    out.w.reset();
    err.w.reset();
    EXPECT_EQ(readAll(out.r.get()), "early got input");
    EXPECT_EQ(readAll(err.r.get()), "warn");
}

TEST(Pump, EndsWithTheOutputWhileStdinStaysOpen) {
    PumpFixture f;
    Pipe in, out;
    std::string msg = frame(1, "bye");
    ASSERT_EQ(::write(f.daemon.get(), msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    f.daemon.reset();
    PumpOptions o;
    o.inFd = in.r.get();  // never written, never closed
    o.outFd = out.w.get();
    auto r = pumpHijacked(f.h, o);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->detached);
    EXPECT_FALSE(f.conn->halfClosed);
    out.w.reset();
    EXPECT_EQ(readAll(out.r.get()), "bye");
}

TEST(Pump, NoStdin) {
    PumpFixture f;
    Pipe out;
    ASSERT_EQ(::write(f.daemon.get(), "raw", 3), 3);
    ::shutdown(f.daemon.get(), SHUT_WR);
    PumpOptions o;
    o.inFd = -1;
    o.outFd = out.w.get();
    o.tty = true;
    auto r = pumpHijacked(f.h, o);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(f.conn->halfClosed);
    out.w.reset();
    EXPECT_EQ(readAll(out.r.get()), "raw");
}

TEST(Pump, TtyDetachStopsWithoutHalfClose) {
    PumpFixture f;
    Pipe in, out;
    PumpOptions o;
    o.inFd = in.r.get();
    o.outFd = out.w.get();
    o.tty = true;
    o.detachKeys = kDefaultDetachKeys;
    Result<PumpResult> r = PumpResult{};
    std::thread pump([&] { r = pumpHijacked(f.h, o); });
    ASSERT_EQ(::write(in.w.get(), "ls\x10", 3), 3);
    char buf[16];
    ASSERT_EQ(::read(f.daemon.get(), buf, sizeof buf), 2);  // ctrl-p held back
    EXPECT_EQ(std::string(buf, 2), "ls");
    ASSERT_EQ(::write(in.w.get(), "\x11", 1), 1);
    pump.join();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->detached);
    EXPECT_FALSE(f.conn->halfClosed);
    pollfd p{f.daemon.get(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 50), 0);  // nothing more sent, no EOF
}

TEST(Pump, NoDetachWithoutTty) {
    PumpFixture f;
    Pipe in, out;
    PumpOptions o;
    o.inFd = in.r.get();
    o.outFd = out.w.get();
    o.detachKeys = kDefaultDetachKeys;
    ASSERT_EQ(::write(in.w.get(), "\x10\x11", 2), 2);
    in.w.reset();
    std::thread daemon([&] {
        std::string got = readAll(f.daemon.get());
        std::string reply = frame(1, got);
        (void)::write(f.daemon.get(), reply.data(), reply.size());
        f.daemon.reset();
    });
    auto r = pumpHijacked(f.h, o);
    daemon.join();
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->detached);
    out.w.reset();
    EXPECT_EQ(readAll(out.r.get()), "\x10\x11");
}

TEST(Pump, HeldBytesGoOutAtStdinEof) {
    PumpFixture f;
    Pipe in, out;
    ASSERT_EQ(::write(in.w.get(), "a\x10", 2), 2);
    in.w.reset();
    std::thread daemon([&] {
        std::string got = readAll(f.daemon.get());
        (void)::write(f.daemon.get(), got.data(), got.size());
        f.daemon.reset();
    });
    PumpOptions o;
    o.inFd = in.r.get();
    o.outFd = out.w.get();
    o.tty = true;
    o.detachKeys = kDefaultDetachKeys;
    auto r = pumpHijacked(f.h, o);
    daemon.join();
    ASSERT_TRUE(r.ok());
    out.w.reset();
    EXPECT_EQ(readAll(out.r.get()), "a\x10");
}

TEST(Pump, BadDetachKeys) {
    PumpFixture f;
    PumpOptions o;
    o.tty = true;
    o.detachKeys = "ctrl-P";
    auto r = pumpHijacked(f.h, o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().msg, "Invalid detach keys (ctrl-P) provided");
}

TEST(Pump, DaemonErrorFrame) {
    PumpFixture f;
    Pipe out;
    std::string msg = frame(3, "boom");
    ASSERT_EQ(::write(f.daemon.get(), msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    PumpOptions o;
    o.inFd = -1;
    o.outFd = out.w.get();
    auto r = pumpHijacked(f.h, o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().msg, "error from daemon in stream: boom");
}

// --- terminal helpers on a pty -----------------------------------------------------------

struct Pty {
    UniqueFd master, slave;
    Pty() {
        master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) return;
        slave.reset(::open(::ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
    }
    void setSize(int rows, int cols) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(rows);
        ws.ws_col = static_cast<unsigned short>(cols);
        ASSERT_EQ(::ioctl(master.get(), TIOCSWINSZ, &ws), 0);
    }
};

TEST(Tty, TerminalAndWindowSize) {
    Pty p;
    if (!p.slave) GTEST_SKIP() << "no pty";
    Pipe pipe;
    EXPECT_TRUE(isTerminal(p.slave.get()));
    EXPECT_FALSE(isTerminal(pipe.r.get()));
    EXPECT_FALSE(isTerminal(-1));
    p.setSize(24, 80);
    auto ws = windowSize(p.slave.get());
    ASSERT_TRUE(ws.has_value());
    EXPECT_EQ(*ws, std::make_pair(24, 80));
    EXPECT_FALSE(windowSize(pipe.r.get()).has_value());
}

TEST(Tty, RawModeAndRestore) {
    Pty p;
    if (!p.slave) GTEST_SKIP() << "no pty";
    termios before{};
    ASSERT_EQ(::tcgetattr(p.slave.get(), &before), 0);
    ASSERT_TRUE(before.c_lflag & ECHO);
    {
        auto raw = RawMode::enable(p.slave.get());
        ASSERT_TRUE(raw.ok());
        termios t{};
        ASSERT_EQ(::tcgetattr(p.slave.get(), &t), 0);
        EXPECT_FALSE(t.c_lflag & (ECHO | ICANON | ISIG | IEXTEN));
        EXPECT_FALSE(t.c_iflag & (ICRNL | IXON));
        EXPECT_FALSE(t.c_oflag & OPOST);
        EXPECT_EQ(t.c_cc[VMIN], 1);
        RawMode moved = std::move(*raw);
        EXPECT_FALSE(raw->active());
        EXPECT_TRUE(moved.active());
        moved.restore();  // early
        ASSERT_EQ(::tcgetattr(p.slave.get(), &t), 0);
        EXPECT_TRUE(t.c_lflag & ECHO);
        ASSERT_EQ(::tcsetattr(p.slave.get(), TCSANOW, &before), 0);
    }  // the destructors do nothing more
    termios after{};
    ASSERT_EQ(::tcgetattr(p.slave.get(), &after), 0);
    EXPECT_EQ(after.c_lflag, before.c_lflag);
    Pipe pipe;
    EXPECT_FALSE(RawMode::enable(pipe.r.get()).ok());
}

TEST(Tty, WinchWatcher) {
    auto w = WinchWatcher::create();
    ASSERT_TRUE(w.ok());
    EXPECT_FALSE(WinchWatcher::create().ok());  // one at a time
    EXPECT_FALSE(w->drain());
    ::raise(SIGWINCH);
    pollfd p{w->fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    EXPECT_TRUE(w->drain());
    EXPECT_FALSE(w->drain());
}

TEST(Pump, ResizeAtStartAndOnSigwinch) {
    Pty p;
    if (!p.slave) GTEST_SKIP() << "no pty";
    p.setSize(30, 100);
    PumpFixture f;
    std::vector<std::pair<int, int>> sizes;
    std::atomic<int> calls{0};
    PumpOptions o;
    o.inFd = -1;
    o.outFd = p.slave.get();
    o.tty = true;
    o.onResize = [&](int rows, int cols) {
        sizes.emplace_back(rows, cols);
        calls++;
    };
    std::thread pump([&] { ASSERT_TRUE(pumpHijacked(f.h, o).ok()); });
    for (int i = 0; i < 200 && calls < 1; i++) usleep(5000);
    p.setSize(40, 120);
    // The watcher may not be installed yet right after the first call: signal until seen.
    for (int i = 0; i < 200 && calls < 2; i++) {
        ::kill(::getpid(), SIGWINCH);
        usleep(5000);
    }
    f.daemon.reset();  // the stream ends
    pump.join();
    ASSERT_GE(sizes.size(), 2u);
    EXPECT_EQ(sizes[0], std::make_pair(30, 100));
    EXPECT_EQ(sizes.back(), std::make_pair(40, 120));
}

}  // namespace
}  // namespace berth::cli
