// A small blocking HTTP client on libcurl for the registry protocol: one request at a time per
// thread (each thread keeps its own curl handle, so connections are reused between requests).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace berth::image::registry {

struct HttpResponse {
    long status = 0;
    std::string reason;  // "Not Found"
    // Headers of the final response (after redirects), names lower-cased, in order.
    std::vector<std::pair<std::string, std::string>> headers;
    // The body of a response that was not streamed to a sink (errors, manifests), capped.
    std::string body;
    std::string url;  // effective URL (after redirects)

    // First value of a header (name case-insensitive), empty when absent.
    std::string header(std::string_view name) const;
    std::vector<std::string> headerAll(std::string_view name) const;
    bool ok() const { return status >= 200 && status < 300; }
};

struct HttpRequest {
    std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;                  // sent for POST/PUT/PATCH
    bool followRedirects = true;
    int64_t maxBody = 8 << 20;  // cap on HttpResponse::body (a larger body is an error)
    // Streaming of a 2xx response: onResponse sees its status and headers before the first
    // byte (and may refuse it), then sink gets the body. Other statuses fill HttpResponse::body.
    std::function<Status(const HttpResponse&)> onResponse;
    std::function<Status(const char* data, size_t n)> sink;
    // Bytes of `body` sent so far (upload progress).
    std::function<void(int64_t sent)> onUpload;
    // Set from another thread to abort the transfer.
    const std::atomic<bool>* cancel = nullptr;
    std::string caFile;  // extra CA bundle for TLS (a registry's own CA), empty for the system's
};

// Performs the request. Transport failures (connection refused, TLS, timeouts) and errors
// returned by onResponse/sink are errors; any HTTP status is a response.
Result<HttpResponse> httpSend(const HttpRequest& r);

// "application/json; charset=utf-8" -> "application/json"
std::string mediaTypeOf(std::string_view contentType);
// Resolves a Location header against the URL it came from (absolute, "/path", "rel").
std::string resolveUrl(const std::string& base, const std::string& location);
// Percent-encodes a query parameter value.
std::string urlEncode(std::string_view s);

}  // namespace berth::image::registry
