// Internal: the Exchange over a Beast parser and a Conn (the request body pulled through a
// buffer_body parser, answers written by Beast's serializers or as raw chunks, the hijack).
// Only serve.cpp and exchange_impl.cpp include it: Beast stays out of the route files.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "api/conn.h"
#include "api/serve.h"

namespace berth::api {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using boost::system::error_code;

// Conn as a Beast SyncReadStream/SyncWriteStream.
struct BeastStream {
    Conn& c;
    template <class Buffers>
    size_t read_some(const Buffers& bufs, error_code& ec) {
        ec = {};
        for (auto it = asio::buffer_sequence_begin(bufs); it != asio::buffer_sequence_end(bufs);
             ++it) {
            asio::mutable_buffer b = *it;
            if (b.size() == 0) continue;
            ssize_t r = c.readSome(b.data(), b.size());
            if (r == 0) ec = asio::error::eof;
            if (r < 0) ec = error_code(errno, boost::system::system_category());
            return r > 0 ? static_cast<size_t>(r) : 0;
        }
        return 0;
    }
    template <class Buffers>
    size_t read_some(const Buffers& bufs) {
        error_code ec;
        size_t n = read_some(bufs, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class Buffers>
    size_t write_some(const Buffers& bufs, error_code& ec) {
        ec = {};
        for (auto it = asio::buffer_sequence_begin(bufs); it != asio::buffer_sequence_end(bufs);
             ++it) {
            asio::const_buffer b = *it;
            if (b.size() == 0) continue;
            ssize_t r = c.writeSome(b.data(), b.size());
            if (r < 0) ec = error_code(errno, boost::system::system_category());
            return r > 0 ? static_cast<size_t>(r) : 0;
        }
        return 0;
    }
    template <class Buffers>
    size_t write_some(const Buffers& bufs) {
        error_code ec;
        size_t n = write_some(bufs, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
};

using Parser = http::request_parser<http::buffer_body>;

class ExchangeImpl final : public Exchange {
  public:
    ExchangeImpl(ConnState& st, Conn& c, boost::beast::flat_buffer& buf, Parser& p, Request r)
        : st_(st), c_(c), s_{c}, buf_(buf), p_(p), r_(std::move(r)) {}

    const Request& req() const override { return r_; }

    Result<size_t> readBody(void* buf, size_t n) override {
        while (!p_.is_done()) {
            auto& b = p_.get().body();
            b.data = buf;
            b.size = n;
            error_code ec;
            http::read(s_, buf_, p_, ec);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) {
                broken_ = true;
                return Error{EIO, "read request body: " + ec.message()};
            }
            size_t got = n - p_.get().body().size;
            if (got > 0) return got;
        }
        return size_t{0};
    }

    Status send(int status, std::string_view ct, std::string body, const Headers& extra) override {
        if (started_) return Error{EALREADY, "response already started"};
        started_ = true;
        status_ = status;
        http::response<http::string_body> res{static_cast<http::status>(status), 11};
        stdHeaders(res);
        if (!ct.empty() && status != 204 && status != 304)
            res.set(http::field::content_type, std::string(ct));
        for (auto& [k, v] : extra) res.set(k, v);
        res.keep_alive(p_.get().keep_alive());
        error_code ec;
        if (r_.method == "HEAD") {
            http::response<http::empty_body> h{res.result(), 11};
            for (auto& f : res) h.set(f.name_string(), f.value());
            h.content_length(body.size());
            http::response_serializer<http::empty_body> sr{h};
            http::write_header(s_, sr, ec);
        } else {
            res.body() = std::move(body);
            res.prepare_payload();
            http::write(s_, res, ec);
        }
        if (ec) {
            broken_ = true;
            return Error{EPIPE, "write response: " + ec.message()};
        }
        return {};
    }

    Status beginStream(int status, std::string_view ct, const Headers& extra) override {
        if (started_) return Error{EALREADY, "response already started"};
        started_ = true;
        status_ = status;
        http::response<http::empty_body> res{static_cast<http::status>(status), 11};
        stdHeaders(res);
        res.set(http::field::content_type, std::string(ct));
        for (auto& [k, v] : extra) res.set(k, v);
        res.chunked(true);
        res.keep_alive(p_.get().keep_alive());
        http::response_serializer<http::empty_body> sr{res};
        error_code ec;
        http::write_header(s_, sr, ec);
        if (ec) {
            broken_ = true;
            return Error{EPIPE, "write response: " + ec.message()};
        }
        chunked_ = true;
        return {};
    }

    Status writeChunk(std::string_view data) override {
        if (!chunked_) return Error{EINVAL, "writeChunk without beginStream"};
        if (data.empty()) return {};
        auto st = c_.writeAll(fmt::format("{:x}\r\n", data.size()));
        if (st) st = c_.writeAll(data);
        if (st) st = c_.writeAll("\r\n");
        if (!st) broken_ = true;
        return st;
    }

    Status endStream() override {
        if (!chunked_) return {};
        chunked_ = false;
        auto st = c_.writeAll("0\r\n\r\n");
        if (!st) broken_ = true;
        return st;
    }

    bool responseStarted() const override { return started_; }

    bool clientGone() override {
        if (broken_) return true;
        pollfd p{c_.fd(), POLLRDHUP, 0};
        if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            // Half-closed by a client that still reads (docker-py after sending)? Only a
            // full hang-up or error counts; a POLLRDHUP alone is checked with a peek.
            if (p.revents & (POLLHUP | POLLERR)) return true;
            char b;
            if (::recv(c_.fd(), &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0) return true;
        }
        return false;
    }

    bool serverStopping() const override { return st_.stopping->load(); }

    Status hijack(std::string_view ct, int fd) override;
    Status hijackBegin(std::string_view ct) override;
    Status hijackPump(int fd, std::string_view detachKeys,
                      std::function<void()> beforeEof = {}) override;
    Status hijackWriteRaw(std::string_view data) override { return c_.writeAll(data); }

    int status() const { return status_; }
    bool broken() const { return broken_; }
    bool hijacked() const { return hijacked_; }
    bool chunkedOpen() const { return chunked_; }

  private:
    template <class Res>
    void stdHeaders(Res& res) {
        res.set("Api-Version", kApiVersion);
        res.set("Docker-Experimental", "false");
        res.set("Ostype", "linux");
        res.set(http::field::server, fmt::format("Berth/{} (linux)", kServerVersion));
    }

    ConnState& st_;
    Conn& c_;
    BeastStream s_;
    boost::beast::flat_buffer& buf_;
    Parser& p_;
    Request r_;
    bool started_ = false, chunked_ = false, broken_ = false, hijacked_ = false;
    int status_ = 0;
};

}  // namespace berth::api
