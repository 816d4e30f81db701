// The HTTP client of berthd's Docker Engine API: unix socket, TCP or TLS (client
// certificates), one keep-alive connection, whole or streamed responses, and docker's hijacked
// attach/exec streams. Response parsing is Beast's; this header stays free of it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/conn.h"
#include "common/result.h"

namespace berth::cli {

struct Globals;

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method = "GET";
    std::string path;  // "/containers/json?all=1" (the API version prefix is added)
    std::string body;
    std::string contentType = "application/json";
    Headers headers;
};

struct Response {
    int status = 0;
    Headers headers;  // names lower-cased
    std::string body;
    std::string header(std::string_view name) const;
    bool ok() const { return status >= 200 && status < 300; }
};

class Client {
public:
    // Connects to `host` ("unix:///path", "tcp://h:p", "/path"); TLS per the globals.
    static Result<std::unique_ptr<Client>> open(const Globals& g, std::string host);
    ~Client();

    // The whole response.
    Result<Response> call(const Request& r);
    // Streams a 2xx body to onData (return false to stop early); any other status is returned
    // with its body collected in Response::body and onData is not called.
    Result<Response> stream(const Request& r,
                            const std::function<bool(std::string_view)>& onData);
    // Upgrades the connection for attach/exec start. A non-101/200 answer is an error
    // carrying the daemon's message.
    Result<Hijacked> hijack(const Request& r);

    const std::string& host() const { return host_; }

private:
    Client() = default;
    Result<Response> exchange(const Request& r,
                              const std::function<bool(std::string_view)>* onData,
                              Hijacked* hijacked);
    Status connect();

    std::string host_;
    std::unique_ptr<Conn> conn_;
    struct Tls;
    std::shared_ptr<Tls> tls_;
};

// URL query encoding of one value.
std::string urlEncode(std::string_view s);
// "Error response from daemon: <message>" from a non-2xx response (docker's wording).
Error apiError(const Response& r);
// The API version this client speaks (prefix of every path).
constexpr const char* kClientApiVersion = "1.50";

}  // namespace berth::cli
