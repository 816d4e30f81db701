#include "cli/client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <limits>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <nlohmann/json.hpp>

#include "cli/ctx.h"
#include "common/unique_fd.h"

namespace berth::cli {

namespace http = boost::beast::http;
using boost::beast::error_code;

namespace {

class PlainConn : public Conn {
  public:
    explicit PlainConn(UniqueFd fd) : fd_(std::move(fd)) {}
    ssize_t readSome(void* buf, size_t n) override {
        for (;;) {
            ssize_t r = ::recv(fd_.get(), buf, n, 0);
            if (r < 0 && errno == EINTR) continue;
            return r;
        }
    }
    Status writeAll(std::string_view d) override {
        while (!d.empty()) {
            ssize_t r = ::send(fd_.get(), d.data(), d.size(), MSG_NOSIGNAL);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return errnoError("write to the daemon");
            d.remove_prefix(static_cast<size_t>(r));
        }
        return {};
    }
    void shutdownWrite() override { ::shutdown(fd_.get(), SHUT_WR); }
    int fd() const override { return fd_.get(); }
    bool pending() const override { return false; }

  private:
    UniqueFd fd_;
};

std::string sslError(std::string_view what) {
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    return fmt::format("{}: {}", what, buf);
}

class TlsConn : public Conn {
  public:
    TlsConn(UniqueFd fd, SSL* ssl) : fd_(std::move(fd)), ssl_(ssl) {}
    ~TlsConn() override { SSL_free(ssl_); }
    ssize_t readSome(void* buf, size_t n) override {
        int r = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(n, INT32_MAX)));
        if (r > 0) return r;
        int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        // The peer closed TCP without close_notify: the end of the stream all the same.
        if (e == SSL_ERROR_SYSCALL && errno == 0) return 0;
        if (e == SSL_ERROR_SSL) {
            ERR_clear_error();
            return 0;
        }
        if (!errno) errno = EIO;
        return -1;
    }
    Status writeAll(std::string_view d) override {
        while (!d.empty()) {
            int r =
                SSL_write(ssl_, d.data(), static_cast<int>(std::min<size_t>(d.size(), 1 << 20)));
            if (r <= 0) return Error{EIO, sslError("TLS write to the daemon")};
            d.remove_prefix(static_cast<size_t>(r));
        }
        return {};
    }
    void shutdownWrite() override {
        (void)SSL_shutdown(ssl_);  // close_notify: the daemon reads EOF
        ::shutdown(fd_.get(), SHUT_WR);
    }
    int fd() const override { return fd_.get(); }
    bool pending() const override { return SSL_pending(ssl_) > 0; }

  private:
    UniqueFd fd_;
    SSL* ssl_;
};

// Streams the body of a response out through callbacks; the header into Response.
class Parser : public http::basic_parser<false> {
  public:
    Response* resp = nullptr;
    const std::function<bool(std::string_view)>* onData = nullptr;
    bool stopped = false;

  private:
    void on_request_impl(http::verb, std::string_view, std::string_view, int,
                         error_code&) override {}
    void on_response_impl(int code, std::string_view, int, error_code&) override {
        resp->status = code;
    }
    void on_field_impl(http::field, std::string_view name, std::string_view value,
                       error_code&) override {
        std::string n(name);
        for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        resp->headers.emplace_back(std::move(n), std::string(value));
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    size_t on_body_impl(std::string_view body, error_code& ec) override {
        deliver(body, ec);
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, std::string_view, error_code&) override {}
    size_t on_chunk_body_impl(std::uint64_t, std::string_view body, error_code& ec) override {
        deliver(body, ec);
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    void deliver(std::string_view body, error_code& ec) {
        if (stopped) return;
        if (onData && resp->ok()) {
            if (!(*onData)(body)) {
                stopped = true;
                ec = http::error::end_of_stream;  // ends the parse: the caller stopped reading
            }
        } else {
            resp->body.append(body);
        }
    }
};

Result<UniqueFd> dialUnix(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return errnoError("socket");
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) return invalid("socket path {} is too long", path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
        return errnoError("connect {}", path);
    return fd;
}

Result<UniqueFd> dialTcp(const std::string& hostport, std::string& hostOut) {
    std::string host = hostport, port = "2375";
    if (!host.empty() && host[0] == '[') {
        auto close = host.find(']');
        if (close == std::string::npos) return invalid("invalid address {}", hostport);
        if (close + 1 < host.size() && host[close + 1] == ':') port = host.substr(close + 2);
        host = host.substr(1, close - 1);
    } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
        port = host.substr(colon + 1);
        host = host.substr(0, colon);
    }
    hostOut = host;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return makeError(EHOSTUNREACH, "resolve {}: {}", host, gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    Error last{ECONNREFUSED, "connect " + hostport};
    for (auto* a = res; a; a = a->ai_next) {
        UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (!fd) continue;
        if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) {
            int one = 1;
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        last = errnoError("connect {}", hostport);
    }
    return last;
}

}  // namespace

struct Client::Tls {
    SSL_CTX* ctx = nullptr;
    bool verify = false;
    ~Tls() {
        if (ctx) SSL_CTX_free(ctx);
    }
};

std::string Response::header(std::string_view name) const {
    for (auto& [k, v] : headers)
        if (k.size() == name.size() &&
            std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                return a == std::tolower(static_cast<unsigned char>(b));
            }))
            return v;
    return {};
}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::open(const Globals& g, std::string host) {
    std::unique_ptr<Client> c(new Client);
    c->host_ = std::move(host);
    bool tcp = c->host_.rfind("tcp://", 0) == 0 || c->host_.rfind("https://", 0) == 0;
    if (tcp && (g.tls || g.tlsVerify)) {
        auto tls = std::make_shared<Tls>();
        tls->ctx = SSL_CTX_new(TLS_client_method());
        if (!tls->ctx) return Error{EIO, sslError("TLS context")};
        SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION);
        tls->verify = g.tlsVerify;
        if (g.tlsVerify) {
            if (SSL_CTX_load_verify_locations(tls->ctx, g.tlsCaCert.c_str(), nullptr) != 1)
                return Error{EINVAL, sslError("load CA certificate " + g.tlsCaCert), true};
            SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER, nullptr);
        }
        if (::access(g.tlsCert.c_str(), R_OK) == 0 || g.tlsVerify) {
            if (SSL_CTX_use_certificate_chain_file(tls->ctx, g.tlsCert.c_str()) != 1)
                return Error{EINVAL, sslError("load client certificate " + g.tlsCert), true};
            if (SSL_CTX_use_PrivateKey_file(tls->ctx, g.tlsKey.c_str(), SSL_FILETYPE_PEM) != 1)
                return Error{EINVAL, sslError("load client key " + g.tlsKey), true};
        }
        c->tls_ = std::move(tls);
    }
    TRY(c->connect());
    return c;
}

Status Client::connect() {
    conn_.reset();
    std::string h = host_;
    if (h.rfind("unix://", 0) == 0 || h[0] == '/') {
        std::string path = h[0] == '/' ? h : h.substr(7);
        auto fd = TRY(dialUnix(path));
        conn_ = std::make_unique<PlainConn>(std::move(fd));
        return {};
    }
    std::string hostport;
    if (h.rfind("tcp://", 0) == 0)
        hostport = h.substr(6);
    else if (h.rfind("https://", 0) == 0)
        hostport = h.substr(8);
    else
        return invalid("unsupported daemon address {} (want unix:///path or tcp://host:port)",
                       host_);
    if (auto slash = hostport.find('/'); slash != std::string::npos) hostport.resize(slash);
    std::string hostname;
    auto fd = TRY(dialTcp(hostport, hostname));
    if (!tls_) {
        conn_ = std::make_unique<PlainConn>(std::move(fd));
        return {};
    }
    SSL* ssl = SSL_new(tls_->ctx);
    if (!ssl) return Error{EIO, sslError("TLS session")};
    SSL_set_fd(ssl, fd.get());
    if (tls_->verify) {
        X509_VERIFY_PARAM* p = SSL_get0_param(ssl);
        if (X509_VERIFY_PARAM_set1_ip_asc(p, hostname.c_str()) != 1)
            X509_VERIFY_PARAM_set1_host(p, hostname.c_str(), 0);
    }
    SSL_set_tlsext_host_name(ssl, hostname.c_str());
    if (SSL_connect(ssl) != 1) {
        auto e = sslError("TLS handshake with " + hostport);
        SSL_free(ssl);
        return Error{ECONNREFUSED, e};
    }
    conn_ = std::make_unique<TlsConn>(std::move(fd), ssl);
    return {};
}

Result<Response> Client::exchange(const Request& r,
                                  const std::function<bool(std::string_view)>* onData,
                                  Hijacked* hijacked) {
    bool hasBody = !r.body.empty() || r.method == "POST" || r.method == "PUT";
    std::string head = fmt::format(
        "{} /v{}{} HTTP/1.1\r\nHost: api.berth\r\n"
        "User-Agent: Berth-Client/{} (linux)\r\n",
        r.method, kClientApiVersion, r.path, kBerthVersion);
    if (hasBody)
        head +=
            fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", r.contentType, r.body.size());
    for (auto& [k, v] : r.headers) head += fmt::format("{}: {}\r\n", k, v);
    if (hijacked) head += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
    head += "\r\n";

    for (int attempt = 0;; attempt++) {
        if (!conn_) TRY(connect());
        bool reused = attempt == 0;
        Response resp;
        Parser p;
        p.resp = &resp;
        p.onData = onData;
        // Not boost::none: Boost 1.74 compares a disengaged limit as smaller than any length.
        p.body_limit(std::numeric_limits<std::uint64_t>::max());
        p.eager(!hijacked);
        if (r.method == "HEAD") p.skip(true);
        auto st = conn_->writeAll(head);
        if (st && !r.body.empty()) st = conn_->writeAll(r.body);
        if (!st) {
            conn_.reset();
            if (reused && attempt == 0) continue;  // the daemon closed an idle connection
            return std::move(st).error();
        }
        std::string buf;
        char tmp[65536];
        bool gotAny = false;
        bool hijackFailed = false;
        for (;;) {
            if (!buf.empty()) {
                error_code ec;
                size_t used = p.put(boost::asio::buffer(buf.data(), buf.size()), ec);
                buf.erase(0, used);
                if (p.stopped) {
                    conn_.reset();  // the rest of the body is unread: the connection is spent
                    return resp;
                }
                if (ec && ec != http::error::need_more) {
                    conn_.reset();
                    return makeError(EPROTO, "bad response from the daemon: {}", ec.message());
                }
                if (p.is_header_done() && hijacked && !hijackFailed) {
                    if (resp.status != 101 && resp.status != 200) {
                        // An error instead of the stream: read its body, it says why.
                        hijackFailed = true;
                        p.eager(true);
                        continue;
                    }
                    hijacked->early = std::move(buf);
                    hijacked->conn = std::move(conn_);
                    return resp;
                }
                if (p.is_done() && hijackFailed) {
                    conn_.reset();
                    return apiError(resp);
                }
                if (p.is_done()) {
                    if (!p.keep_alive()) conn_.reset();
                    return resp;
                }
                if (used > 0 && !buf.empty()) continue;
            }
            ssize_t n = conn_->readSome(tmp, sizeof tmp);
            if (n < 0) {
                auto e = errnoError("read from the daemon");
                conn_.reset();
                if (!gotAny && reused && attempt == 0) break;
                return e;
            }
            if (n == 0) {
                if (!gotAny && reused && attempt == 0) {
                    conn_.reset();
                    break;  // retry on a fresh connection
                }
                error_code ec;
                p.put_eof(ec);
                conn_.reset();
                if (p.is_done() || (p.is_header_done() && !ec)) return resp;
                return makeError(EPIPE, "the daemon closed the connection mid-response");
            }
            gotAny = true;
            buf.append(tmp, static_cast<size_t>(n));
        }
        // Only reached to retry once on a fresh connection.
        if (attempt > 0) return makeError(EPIPE, "the daemon closed the connection");
    }
}

Result<Response> Client::call(const Request& r) {
    return exchange(r, nullptr, nullptr);
}

Result<Response> Client::stream(const Request& r,
                                const std::function<bool(std::string_view)>& onData) {
    return exchange(r, &onData, nullptr);
}

Result<Hijacked> Client::hijack(const Request& r) {
    Hijacked h;
    TRY(exchange(r, nullptr, &h));
    return h;
}

std::string urlEncode(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

Error apiError(const Response& r) {
    std::string msg;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("message") && j["message"].is_string())
        msg = j["message"].get<std::string>();
    else
        msg = r.body.empty() ? fmt::format("HTTP {}", r.status) : r.body;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    Error e{r.status, "Error response from daemon: " + msg, true};
    return e;
}

}  // namespace berth::cli
