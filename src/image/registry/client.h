// A client of one repository on one registry (OCI distribution spec / Docker registry v2):
// manifests, blobs, uploads, with authentication handled on the way (a 401 is answered with
// the challenge's credentials and the request retried).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/digest.h"
#include "image/registry/auth.h"
#include "image/registry/http.h"

namespace berth::image::registry {

// "http://127.0.0.1:5000" for loopback hosts and the insecure list (host[:port], or an IPv4
// CIDR), else "https://host".
std::string baseUrlFor(const std::string& host, const std::vector<std::string>& insecure);
// /etc/berth/certs.d/<host>/ca.crt when it exists (a private registry's CA), else empty.
std::string caFileFor(const std::string& host);

struct ClientOptions {
    std::string host;  // what to connect to: "registry-1.docker.io", "127.0.0.1:5000"
    std::string repo;  // "library/busybox"
    std::vector<std::string> insecureRegistries;
    Credentials creds;
    std::string actions = "pull";          // token scope actions on repo: "pull" or "pull,push"
    std::vector<std::string> extraScopes;  // e.g. pull on the repositories a push mounts from
};

struct FetchedManifest {
    std::string body;
    std::string mediaType;
    Digest digest;  // sha256 of body (verified against the registry's Docker-Content-Digest)
};

class Client {
  public:
    explicit Client(ClientOptions o);

    const std::string& repo() const { return opts_.repo; }
    const std::string& host() const { return opts_.host; }

    // GET /v2/ (authenticated): `login` checks credentials with it.
    Status ping();

    // A manifest or index by tag or digest. By digest, the content must hash to it.
    Result<FetchedManifest> getManifest(const std::string& tagOrDigest);
    // A small blob (config) in memory, digest verified.
    Result<std::string> getBlob(const Digest& d, int64_t maxSize = 16 << 20);
    // Streams a blob from `offset`. onStart(resumed) runs before the first byte: resumed is false
    // when the server sent the whole blob instead of the range (the caller starts over).
    // An offset the server cannot satisfy (416) is an ERANGE error.
    Status fetchBlob(const Digest& d, int64_t offset, const std::function<Status(bool)>& onStart,
                     const std::function<Status(const char*, size_t)>& sink,
                     const std::atomic<bool>* cancel = nullptr);

    Result<bool> hasBlob(const Digest& d);
    // Cross-repository mount: true when the registry mounted it; false when it did not (an upload
    // session was opened instead and is remembered for the next uploadBlob).
    Result<bool> mountBlob(const Digest& d, const std::string& fromRepo);
    // Uploads a blob in chunks read through readAt(offset, n); progress gets bytes sent so far.
    Status uploadBlob(const Digest& d, int64_t size,
                      const std::function<Result<std::string>(int64_t, size_t)>& readAt,
                      const std::function<void(int64_t)>& progress,
                      const std::atomic<bool>* cancel = nullptr);
    // PUT a manifest under a tag (or digest); returns the digest the registry reports.
    Result<Digest> putManifest(const std::string& tagOrDigest, const std::string& mediaType,
                               const std::string& body);

    // The chunk size of uploads (tests use small ones).
    void setChunkSize(int64_t n) { chunkSize_ = n; }

  private:
    std::string url(const std::string& path) const;
    // Sends with authentication, answering up to two challenges.
    Result<HttpResponse> send(HttpRequest req);
    Result<std::string> startUpload();

    ClientOptions opts_;
    std::string base_;
    std::string caFile_;
    Authorizer auth_;
    int64_t chunkSize_ = 16 << 20;
    std::mutex mu_;
    std::map<std::string, std::string> pendingUploads_;  // digest -> upload URL from a mount
};

}  // namespace berth::image::registry
