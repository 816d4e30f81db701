// One HTTP request and its answer, as the route handlers see it: the parsed request (path
// without the version prefix, query, headers), the body as a pull stream, and the three ways to
// answer (a whole body, a chunked stream, a hijacked connection). Beast stays behind this
// interface (conn.cpp), so the route files compile without it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/detach_keys.h"
#include "common/result.h"

namespace berth::api {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;      // "GET", "HEAD", "POST", ...
    std::string path;        // decoded, without the /v1.NN prefix
    std::string apiVersion;  // the version asked for, or the server's when the path has none
    std::map<std::string, std::vector<std::string>> query;  // decoded; repeated keys kept
    std::map<std::string, std::string> headers;             // names lower-cased
    std::vector<std::string> params;                        // the route's captures

    // Last value of a query key ("" when absent).
    std::string q(const std::string& key, const std::string& def = "") const;
    bool has(const std::string& key) const { return query.count(key) > 0; }
    // docker's httputils.BoolValue: anything but "", "0", "no", "false", "none" is true.
    bool qBool(const std::string& key) const;
    // docker's BoolValueOrDefault: absent key -> def.
    bool qBool(const std::string& key, bool def) const;
    std::vector<std::string> qAll(const std::string& key) const;
    std::string header(const std::string& lowerName) const;
    // API version of the request compared with "1.NN": <0, 0, >0.
    int versionCmp(std::string_view v) const;
};

class Exchange {
  public:
    virtual ~Exchange() = default;
    virtual const Request& req() const = 0;

    // The request body, pulled: returns 0 at its end.
    virtual Result<size_t> readBody(void* buf, size_t n) = 0;
    // The whole body (at most `limit` bytes, else EINVAL).
    Result<std::string> body(size_t limit = 64 << 20);
    // The body as JSON; an empty body gives `null` (allowed when allowEmpty), a malformed one
    // EINVAL with docker-like wording.
    Result<nlohmann::json> bodyJson(bool allowEmpty = true);

    // A complete answer.
    virtual Status send(int status, std::string_view contentType, std::string body,
                        const Headers& extra = {}) = 0;
    Status sendJson(int status, const nlohmann::json& j);
    Status sendNoContent(int status = 204);
    Status sendError(const Error& e);
    Status sendError(int status, const std::string& message);

    // A chunked answer: headers go out at once (clients wait for them), then each chunk as it
    // is written; endStream() writes the last chunk.
    virtual Status beginStream(int status, std::string_view contentType,
                               const Headers& extra = {}) = 0;
    virtual Status writeChunk(std::string_view data) = 0;
    virtual Status endStream() = 0;
    virtual bool responseStarted() const = 0;

    // docker's hijack: answers 101 UPGRADED (when the request asked to upgrade) or 200 with
    // `contentType`, then copies bytes both ways between the client and `fd` until `fd` ends;
    // the client's half-close becomes shutdown(fd, SHUT_WR). The connection closes afterwards.
    virtual Status hijack(std::string_view contentType, int fd) = 0;
    // The same in two steps, for attach: the client waits for the handshake before it starts
    // the container (docker run), so the answer must go out before the engine's attach,
    // which waits for that start.
    virtual Status hijackBegin(std::string_view contentType) = 0;
    // `detachKeys`: the parsed detach sequence watched on the client's stdin (empty: none);
    // typing it ends the pump without closing the process's stdin.
    // `beforeEof` (may be empty) runs after the output ended, before the client sees EOF.
    virtual Status hijackPump(int fd, std::string_view detachKeys,
                              std::function<void()> beforeEof = {}) = 0;
    // Bytes straight to a hijacked client (an error after the handshake).
    virtual Status hijackWriteRaw(std::string_view data) = 0;

    // True once the client has gone (its side of the socket closed or reset); polled by long
    // waits (wait, events) that would otherwise never notice.
    virtual bool clientGone() = 0;
    // True when the server is shutting down (long streams end).
    virtual bool serverStopping() const = 0;
};

// Error::code -> HTTP status as documented in engine.h.
int httpStatusFor(const Error& e);
// The message clients see: docker's plain text for input errors, with the errno otherwise.
std::string errorMessage(const Error& e);

}  // namespace berth::api
