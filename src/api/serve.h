// Internal: one connection's HTTP loop and the hijacked-stream copy.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "api/context.h"
#include "common/detach_keys.h"

namespace berth::api {

class Conn;

struct ConnState {
    const Router* router;
    Context* ctx;
    std::atomic<bool>* stopping;
    std::atomic<bool>* busy;  // a request is being handled (idle connections close at once)
};

// Reads requests and answers them until the client goes, a hijack ends, or the server stops.
void serveConnection(ConnState& st, Conn& c);

struct HijackOptions {
    std::string_view early;  // bytes the HTTP parser read past the request: stdin
    // Set when the server stops: a client EOF then cuts the stream as a detach.
    const std::atomic<bool>* stopping = nullptr;
    std::string detachKeys;  // parsed sequence; empty: no detach watch
    // Runs when the process's output has ended, before the client sees EOF (exec: wait for the
    // exit code to be recorded, so an inspect right after EOF finds it).
    std::function<void()> beforeEof;
};

// Copies client <-> fd until fd reaches EOF (or the client resets): `early` goes to fd first;
// the client's EOF becomes shutdown(fd, SHUT_WR), except when the server is stopping. Typing
// the detach sequence ends the copy as a detach: output stops, the client connection is to
// be closed and the container's stdin stays open (no shutdown of fd). Returns true on a
// detach (including the stopping case).
Result<bool> copyHijacked(Conn& c, int fd, const HijackOptions& o = {});

// docker's in-stream error line {"errorDetail":{"message":..},"error":..}.
Status writeStreamError(Exchange& ex, const Error& e);

}  // namespace berth::api
