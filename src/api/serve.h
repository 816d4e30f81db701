// Internal: one connection's HTTP loop and the hijacked-stream copy.
#pragma once

#include <atomic>
#include <string>

#include "api/context.h"

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

// Copies client <-> fd until fd reaches EOF (or the client resets): `early` (bytes the HTTP
// parser read past the request) goes to fd first; the client's EOF becomes
// shutdown(fd, SHUT_WR), except when the server is stopping (`stopping` set): then the
// connection is cut and the container's stdin stays open, as a detach.
Status copyHijacked(Conn& c, int fd, std::string_view early,
                    const std::atomic<bool>* stopping = nullptr);

// docker's in-stream error line {"errorDetail":{"message":..},"error":..}.
Status writeStreamError(Exchange& ex, const Error& e);

}  // namespace berth::api
