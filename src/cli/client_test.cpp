// The API client against a canned server on a unix socket: whole and chunked bodies, keep-alive
// reuse and reconnect, daemon errors, a hijack with early stream bytes.
#include "cli/client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <thread>

#include "cli/ctx.h"

namespace berth::cli {
namespace {

// Accepts connections one after another; for each request read, `answer` gives the raw bytes
// to send back and whether to close the connection afterwards.
class CannedServer {
  public:
    using Answer = std::function<std::pair<std::string, bool>(const std::string& request)>;
    explicit CannedServer(Answer a) : answer_(std::move(a)) {
        char tmpl[] = "/tmp/berth-client-test-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        path_ = dir_ + "/s.sock";
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        EXPECT_EQ(::listen(fd_, 8), 0);
        th_ = std::thread([this] { loop(); });
    }
    ~CannedServer() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        th_.join();
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }
    std::string host() const { return "unix://" + path_; }
    int connections = 0;
    std::vector<std::string> requests;

  private:
    void loop() {
        for (;;) {
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            connections++;
            std::string buf;
            char tmp[4096];
            for (;;) {
                auto end = buf.find("\r\n\r\n");
                if (end == std::string::npos) {
                    ssize_t n = ::read(c, tmp, sizeof tmp);
                    if (n <= 0) break;
                    buf.append(tmp, static_cast<size_t>(n));
                    continue;
                }
                size_t len = 0;
                auto cl = buf.find("Content-Length: ");
                if (cl != std::string::npos && cl < end)
                    len = std::strtoul(&buf[cl + 16], nullptr, 10);
                while (buf.size() < end + 4 + len) {
                    ssize_t n = ::read(c, tmp, sizeof tmp);
                    if (n <= 0) break;
                    buf.append(tmp, static_cast<size_t>(n));
                }
                std::string req = buf.substr(0, end + 4 + len);
                buf.erase(0, req.size());
                requests.push_back(req);
                auto [resp, close] = answer_(req);
                (void)::write(c, resp.data(), resp.size());
                if (close) break;
            }
            ::close(c);
        }
    }
    Answer answer_;
    std::string dir_, path_;
    int fd_ = -1;
    std::thread th_;
};

std::string ok(std::string body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(Client, KeepAliveAndVersionPrefix) {
    CannedServer s([](const std::string&) { return std::make_pair(ok("{\"a\":1}"), false); });
    Globals g;
    auto c = Client::open(g, s.host());
    ASSERT_TRUE(c) << c.error().str();
    for (int i = 0; i < 3; i++) {
        auto r = (*c)->call({"GET", "/containers/json?all=1", "", "", {}});
        ASSERT_TRUE(r) << r.error().str();
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, "{\"a\":1}");
        EXPECT_EQ(r->header("content-type"), "application/json");
    }
    EXPECT_EQ(s.connections, 1);
    ASSERT_EQ(s.requests.size(), 3u);
    EXPECT_EQ(s.requests[0].rfind("GET /v1.50/containers/json?all=1 HTTP/1.1\r\n", 0), 0u);
}

TEST(Client, ReconnectsWhenTheDaemonClosedAnIdleConnection) {
    CannedServer s([](const std::string&) { return std::make_pair(ok("x"), true); });
    auto c = Client::open(Globals{}, s.host());
    ASSERT_TRUE(c);
    for (int i = 0; i < 3; i++) {
        auto r = (*c)->call({"POST", "/x", "{}", "application/json", {}});
        ASSERT_TRUE(r) << r.error().str();
        EXPECT_EQ(r->body, "x");
    }
    EXPECT_EQ(s.connections, 3);
    EXPECT_NE(s.requests[0].find("Content-Length: 2\r\n"), std::string::npos);
}

TEST(Client, StreamsChunkedBodies) {
    CannedServer s([](const std::string&) {
        return std::make_pair(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                          "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"),
                              false);
    });
    auto c = Client::open(Globals{}, s.host());
    ASSERT_TRUE(c);
    std::string got;
    int pieces = 0;
    auto r = (*c)->stream({"GET", "/events", "", "", {}}, [&](std::string_view d) {
        got += d;
        pieces++;
        return true;
    });
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(got, "abcdefg");
    EXPECT_GE(pieces, 1);
    EXPECT_TRUE(r->body.empty());
}

TEST(Client, DaemonErrorsAreWordedLikeDocker) {
    CannedServer s([](const std::string&) {
        std::string body = "{\"message\":\"No such container: x\"}";
        return std::make_pair("HTTP/1.1 404 Not Found\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body,
                              false);
    });
    auto c = Client::open(Globals{}, s.host());
    ASSERT_TRUE(c);
    auto r = (*c)->call({"GET", "/containers/x/json", "", "", {}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(apiError(*r).msg, "Error response from daemon: No such container: x");
    // A stream that fails does not reach the callback; the body is kept for the error.
    bool called = false;
    auto r2 = (*c)->stream({"GET", "/x", "", "", {}}, [&](std::string_view) {
        called = true;
        return true;
    });
    ASSERT_TRUE(r2);
    EXPECT_FALSE(called);
    EXPECT_NE(r2->body.find("No such container"), std::string::npos);
}

TEST(Client, HijackKeepsEarlyBytes) {
    CannedServer s([](const std::string& req) {
        EXPECT_NE(req.find("Upgrade: tcp\r\n"), std::string::npos);
        return std::make_pair(std::string("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\n"
                                          "Upgrade: tcp\r\n\r\nhello"),
                              true);
    });
    auto c = Client::open(Globals{}, s.host());
    ASSERT_TRUE(c);
    auto h = (*c)->hijack({"POST", "/containers/x/attach?stream=1", "", "", {}});
    ASSERT_TRUE(h) << h.error().str();
    std::string got = h->early;
    char buf[64];
    ssize_t n;
    while ((n = h->conn->readSome(buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    EXPECT_EQ(got, "hello");
}

TEST(Client, MissingSocketIsAConnectError) {
    auto c = Client::open(Globals{}, "unix:///nonexistent/berth.sock");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ENOENT);
}

TEST(Client, UrlEncode) {
    EXPECT_EQ(urlEncode("a b/c{\"x\":1}"), "a%20b%2Fc%7B%22x%22%3A1%7D");
    EXPECT_EQ(registryOf("busybox"), "docker.io");
    EXPECT_EQ(registryOf("library/busybox"), "docker.io");
    EXPECT_EQ(registryOf("localhost:5000/a/b:1"), "localhost:5000");
    EXPECT_EQ(registryOf("localhost/a"), "localhost");
    EXPECT_EQ(registryOf("quay.io/x/y"), "quay.io");
}

}  // namespace
}  // namespace berth::cli
