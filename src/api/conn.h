// A client connection: a socket, optionally wrapped in TLS (OpenSSL). Byte-level reads and
// writes for the HTTP loop and the hijack copy; no Beast here.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "api/server.h"
#include "common/result.h"
#include "common/unique_fd.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace berth::api {

class Conn {
  public:
    Conn(UniqueFd fd, SSL* ssl) : fd_(std::move(fd)), ssl_(ssl) {}
    ~Conn();
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // TLS handshake (no-op without TLS).
    Status handshake();
    // >0 bytes, 0 at EOF, -1 with errno set (EAGAIN never: the socket blocks).
    ssize_t readSome(void* buf, size_t n);
    ssize_t writeSome(const void* buf, size_t n);
    Status writeAll(std::string_view data);
    // Bytes TLS already decrypted (poll() cannot see them).
    bool pending() const;
    int fd() const { return fd_.get(); }
    bool tls() const { return ssl_ != nullptr; }
    void shutdownWrite();
    std::string peer;  // for logs

  private:
    UniqueFd fd_;
    SSL* ssl_ = nullptr;
};

// TLS server context from --tlscert/--tlskey (and --tlscacert with client verification).
class TlsContext {
  public:
    static Result<std::unique_ptr<TlsContext>> create(const TlsOptions& o);
    ~TlsContext();
    SSL* newSsl(int fd) const;

  private:
    SSL_CTX* ctx_ = nullptr;
};

}  // namespace berth::api
