// A byte stream to the daemon: a unix socket, TCP, or TLS over TCP. Hijacked attach/exec
// streams are driven through this interface so the copy loops do not care about TLS.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::cli {

class Conn {
public:
    virtual ~Conn() = default;
    // >0 bytes read, 0 at EOF, -1 on error (errno set).
    virtual ssize_t readSome(void* buf, size_t n) = 0;
    virtual Status writeAll(std::string_view d) = 0;
    // Half-close: the daemon sees EOF on stdin, output keeps coming.
    virtual void shutdownWrite() = 0;
    // The socket, for poll(2).
    virtual int fd() const = 0;
    // Bytes already decrypted/buffered that poll(2) on fd() would not report.
    virtual bool pending() const = 0;
};

// A connection taken over after `101 UPGRADED` (or 200) for attach/exec: `early` holds the
// stream bytes read past the response header.
struct Hijacked {
    std::unique_ptr<Conn> conn;
    std::string early;
    bool tty = false;  // raw stream; otherwise docker's 8-byte multiplexed frames
};

}  // namespace berth::cli
