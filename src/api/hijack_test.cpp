// copyHijacked with socketpairs standing in for the client connection and the engine's
// AttachStream: early bytes first, stdin half-close forwarded, output until the stream ends.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

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
    std::thread copier([&] { EXPECT_TRUE(copyHijacked(conn, engineFd.get(), "early-").ok()); });

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
    EXPECT_TRUE(copyHijacked(conn, engineFd.get(), "").ok());
    EXPECT_EQ(readAll(clientPeer.get()), "bye");  // then EOF: the server closed its side
}

}  // namespace
}  // namespace berth::api
