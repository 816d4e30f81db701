// copyHijacked with socketpairs standing in for the client connection and the engine's
// AttachStream: early bytes first, stdin half-close forwarded, output until the stream ends;
// the detach keys (parsing, the scanner, a detach that leaves the stdin open).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

using namespace std::string_literals;

#include "api/conn.h"
#include "api/serve.h"

namespace berth::api {
namespace {

std::string readAll(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

std::string readN(int fd, size_t n) {
    std::string out;
    char buf[256];
    while (out.size() < n) {
        ssize_t got = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
        if (got <= 0) break;
        out.append(buf, static_cast<size_t>(got));
    }
    return out;
}

TEST(Hijack, CopiesBothWaysAndForwardsHalfClose) {
    int client[2], engine[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, engine), 0);
    UniqueFd clientPeer(client[1]), enginePeer(engine[1]);
    Conn conn(UniqueFd(client[0]), nullptr);
    UniqueFd engineFd(engine[0]);

    // The "container": echoes its stdin upper-cased after a header, ends at stdin EOF.
    std::thread container([&] {
        std::string in = readAll(enginePeer.get());
        for (auto& c : in) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        std::string out = "\x01\0\0\0"s + "out:" + in;
        (void)::write(enginePeer.get(), out.data(), out.size());
        enginePeer.reset();  // the process exits: the stream ends
    });
    std::thread copier(
        [&] { EXPECT_TRUE(copyHijacked(conn, engineFd.get(), {.early = "early-"}).ok()); });

    ASSERT_EQ(::write(clientPeer.get(), "stdin", 5), 5);
    ::shutdown(clientPeer.get(), SHUT_WR);  // docker CLI: stdin done
    std::string got = readAll(clientPeer.get());
    copier.join();
    container.join();
    EXPECT_EQ(got, "\x01\0\0\0"s + "out:EARLY-STDIN");
}

TEST(Hijack, EndsWhenTheStreamEndsEvenIfTheClientKeepsStdinOpen) {
    int client[2], engine[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, engine), 0);
    UniqueFd clientPeer(client[1]), enginePeer(engine[1]);
    Conn conn(UniqueFd(client[0]), nullptr);
    UniqueFd engineFd(engine[0]);
    ASSERT_EQ(::write(enginePeer.get(), "bye", 3), 3);
    enginePeer.reset();
    auto r = copyHijacked(conn, engineFd.get());
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(*r);
    EXPECT_EQ(readAll(clientPeer.get()), "bye");  // then EOF: the server closed its side
}

TEST(DetachKeys, BadSpecIsA400) {
    auto r = parseDetachKeys("ctrl-A");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(httpStatusFor(r.error()), 400);
}

// True when fd has nothing to read and no EOF within `ms`.
bool quiet(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 0;
}

TEST(Hijack, DetachKeepsTheContainerStdinOpen) {
    int client[2], engine[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, engine), 0);
    UniqueFd clientPeer(client[1]), enginePeer(engine[1]);
    auto conn = std::make_unique<Conn>(UniqueFd(client[0]), nullptr);
    UniqueFd engineFd(engine[0]);
    Result<bool> res = false;
    std::thread copier([&] {
        res = copyHijacked(*conn, engineFd.get(), {.early = "e", .detachKeys = "\x10\x11"});
        conn.reset();  // serveConnection closes the connection after the hijack
    });
    ASSERT_EQ(::write(enginePeer.get(), "prompt$ ", 8), 8);
    char buf[64];
    ASSERT_EQ(::read(clientPeer.get(), buf, sizeof buf), 8);
    ASSERT_EQ(::write(clientPeer.get(), "ls\x10", 3), 3);
    EXPECT_EQ(readN(enginePeer.get(), 3), "els");  // early "e", "ls"; ctrl-p held back
    ASSERT_EQ(::write(clientPeer.get(), "\x11", 1), 1);
    copier.join();
    ASSERT_TRUE(res.ok());
    EXPECT_TRUE(*res);
    EXPECT_EQ(readAll(clientPeer.get()), "");   // the client's connection is closed
    EXPECT_TRUE(quiet(enginePeer.get(), 100));  // no EOF: the process's stdin stays open
    // Output after the detach no longer goes anywhere, and writing it does not fail.
    EXPECT_EQ(::write(enginePeer.get(), "x", 1), 1);
}

TEST(Hijack, HeldBytesAreForwardedAtClientEof) {
    int client[2], engine[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, engine), 0);
    UniqueFd clientPeer(client[1]), enginePeer(engine[1]);
    Conn conn(UniqueFd(client[0]), nullptr);
    UniqueFd engineFd(engine[0]);
    std::thread container([&] {
        std::string in = readAll(enginePeer.get());  // until the stdin half-close
        (void)::write(enginePeer.get(), in.data(), in.size());
        enginePeer.reset();
    });
    Result<bool> res = false;
    std::thread copier(
        [&] { res = copyHijacked(conn, engineFd.get(), {.detachKeys = "\x10\x11"}); });
    ASSERT_EQ(::write(clientPeer.get(), "a\x10", 2), 2);
    ::shutdown(clientPeer.get(), SHUT_WR);
    EXPECT_EQ(readAll(clientPeer.get()), "a\x10");
    copier.join();
    container.join();
    ASSERT_TRUE(res.ok());
    EXPECT_FALSE(*res);
}

}  // namespace
}  // namespace berth::api
