#include "api/conn.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace berth::api {

namespace {

std::string sslErrors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown TLS error" : out;
}

}  // namespace

Conn::~Conn() {
    if (ssl_) {
        SSL_shutdown(ssl_);
        SSL_free(ssl_);
    }
}

Status Conn::handshake() {
    if (!ssl_) return {};
    ERR_clear_error();
    if (SSL_accept(ssl_) != 1) return Error{EPROTO, "TLS handshake: " + sslErrors(), true};
    return {};
}

ssize_t Conn::readSome(void* buf, size_t n) {
    if (!ssl_) {
        for (;;) {
            ssize_t r = ::recv(fd_.get(), buf, n, 0);
            if (r < 0 && errno == EINTR) continue;
            return r;
        }
    }
    ERR_clear_error();
    int r = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
    if (r > 0) return r;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    // An unexpected EOF (no close_notify) is how most clients end; treat it as EOF.
    if (e == SSL_ERROR_SYSCALL && errno == 0) return 0;
    if (e == SSL_ERROR_SSL &&
        ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return 0;
    if (errno == 0) errno = EPROTO;
    return -1;
}

ssize_t Conn::writeSome(const void* buf, size_t n) {
    if (!ssl_) {
        for (;;) {
            ssize_t r = ::send(fd_.get(), buf, n, MSG_NOSIGNAL);
            if (r < 0 && errno == EINTR) continue;
            return r;
        }
    }
    ERR_clear_error();
    int r = SSL_write(ssl_, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
    if (r > 0) return r;
    if (errno == 0) errno = EPIPE;
    return -1;
}

Status Conn::writeAll(std::string_view data) {
    while (!data.empty()) {
        ssize_t r = writeSome(data.data(), data.size());
        if (r <= 0) return errnoError("write to client {}", peer);
        data.remove_prefix(static_cast<size_t>(r));
    }
    return {};
}

bool Conn::pending() const {
    return ssl_ && SSL_pending(ssl_) > 0;
}

void Conn::shutdownWrite() {
    if (ssl_) SSL_shutdown(ssl_);
    ::shutdown(fd_.get(), SHUT_WR);
}

Result<std::unique_ptr<TlsContext>> TlsContext::create(const TlsOptions& o) {
    auto t = std::make_unique<TlsContext>();
    t->ctx_ = SSL_CTX_new(TLS_server_method());
    if (!t->ctx_) return Error{ENOMEM, "TLS context: " + sslErrors()};
    SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
    if (o.cert.empty() || o.key.empty()) return invalid("TLS needs --tlscert and --tlskey");
    if (SSL_CTX_use_certificate_chain_file(t->ctx_, o.cert.c_str()) != 1)
        return invalid("TLS certificate {}: {}", o.cert, sslErrors());
    if (SSL_CTX_use_PrivateKey_file(t->ctx_, o.key.c_str(), SSL_FILETYPE_PEM) != 1)
        return invalid("TLS key {}: {}", o.key, sslErrors());
    if (SSL_CTX_check_private_key(t->ctx_) != 1)
        return invalid("TLS key {} does not match {}", o.key, o.cert);
    if (o.verify) {
        if (o.caCert.empty()) return invalid("--tlsverify needs --tlscacert");
        if (SSL_CTX_load_verify_locations(t->ctx_, o.caCert.c_str(), nullptr) != 1)
            return invalid("TLS CA {}: {}", o.caCert, sslErrors());
        // As dockerd with --tlsverify: RequireAndVerifyClientCert.
        SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return t;
}

TlsContext::~TlsContext() {
    if (ctx_) SSL_CTX_free(ctx_);
}

SSL* TlsContext::newSsl(int fd) const {
    SSL* s = SSL_new(ctx_);
    if (s) SSL_set_fd(s, fd);
    return s;
}

}  // namespace berth::api
