#include "image/registry/client.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <thread>

#include "image/manifest.h"
#include "image/media.h"
#include "image/registry/errors.h"

namespace berth::image::registry {

namespace {

// "[::1]:5000" -> "::1", "127.0.0.1:5000" -> "127.0.0.1", "host" -> "host"
std::string hostOnly(const std::string& h) {
    if (!h.empty() && h[0] == '[') {
        auto e = h.find(']');
        return e == std::string::npos ? h : h.substr(1, e - 1);
    }
    auto c = h.find(':');
    if (c != std::string::npos && h.find(':', c + 1) == std::string::npos) return h.substr(0, c);
    return h;
}

bool inCidr(const std::string& ip, const std::string& cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos) return false;
    in_addr a{}, net{};
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return false;
    if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1) return false;
    int bits = std::atoi(cidr.c_str() + slash + 1);
    if (bits < 0 || bits > 32) return false;
    uint32_t mask = bits == 0 ? 0 : htonl(~uint32_t(0) << (32 - bits));
    return (a.s_addr & mask) == (net.s_addr & mask);
}

std::string acceptHeader() {
    return fmt::format("Accept: {}, {}, {}, {}", media::kOciManifest, media::kOciIndex,
                       media::kDockerManifest, media::kDockerManifestList);
}

}  // namespace

std::string baseUrlFor(const std::string& host, const std::vector<std::string>& insecure) {
    auto h = hostOnly(host);
    bool plain = h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
    for (auto& e : insecure) {
        if (e == host || e == h || inCidr(h, e)) plain = true;
    }
    return (plain ? "http://" : "https://") + host;
}

std::string caFileFor(const std::string& host) {
    auto p = "/etc/berth/certs.d/" + host + "/ca.crt";
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? p : "";
}

Client::Client(ClientOptions o)
    : opts_(std::move(o)),
      base_(baseUrlFor(opts_.host, opts_.insecureRegistries)),
      caFile_(caFileFor(opts_.host)),
      auth_(
          opts_.creds,
          [&] {
              std::vector<std::string> s;
              if (!opts_.repo.empty()) s.push_back(repositoryScope(opts_.repo, opts_.actions));
              for (auto& x : opts_.extraScopes) s.push_back(x);
              return s;
          }(),
          caFile_) {}

std::string Client::url(const std::string& path) const {
    return base_ + "/v2/" + (opts_.repo.empty() ? "" : opts_.repo + "/") + path;
}

Result<HttpResponse> Client::send(HttpRequest req) {
    req.caFile = caFile_;
    auto base = req.headers;
    for (int attempt = 0;; attempt++) {
        req.headers = base;
        auto h = TRY(auth_.header());
        if (!h.empty()) req.headers.push_back(h);
        auto resp = TRY(httpSend(req));
        if (resp.status == 401 && attempt < 2 && TRY(auth_.onUnauthorized(resp))) continue;
        return resp;
    }
}

Status Client::ping() {
    HttpRequest req;
    req.url = base_ + "/v2/";
    auto resp = TRY(send(req));
    if (resp.status == 401 && !auth_.hasCredentials())
        return Error{EACCES, "unauthorized: credentials are required", true};
    if (!resp.ok()) return registryError("GET " + req.url, resp);
    return {};
}

Result<FetchedManifest> Client::getManifest(const std::string& ref) {
    HttpRequest req;
    req.url = url("manifests/" + ref);
    req.headers.push_back(acceptHeader());
    req.maxBody = 4 << 20;
    auto resp = TRY(send(req));
    if (!resp.ok()) {
        // The caller names the image ("manifest for x:1 not found: ..."); no URL needed.
        auto e = registryError("", resp);
        e.msg = registryErrorText(resp);
        return e;
    }
    FetchedManifest m;
    m.body = std::move(resp.body);
    m.digest = sha256Of(m.body);
    if (ref.rfind("sha256:", 0) == 0 && m.digest.str() != ref)
        return Error{EBADMSG,
                     fmt::format("manifest {}: the registry sent content with digest {}", ref,
                                 m.digest.str()),
                     true};
    if (auto hd = resp.header("docker-content-digest"); !hd.empty() && hd != m.digest.str())
        return Error{EBADMSG,
                     fmt::format("manifest {}: Docker-Content-Digest {} does not match the "
                                 "content's digest {}",
                                 ref, hd, m.digest.str()),
                     true};
    m.mediaType = mediaTypeOf(resp.header("content-type"));
    if (!media::isIndex(m.mediaType) && !media::isManifest(m.mediaType)) {
        // Content-Type is often generic (application/json): go by the document itself.
        auto sniffed = sniffMediaType(m.body);
        if (!sniffed) return std::move(sniffed).error().wrap("manifest " + ref);
        if (m.mediaType.find("manifest.v1") != std::string::npos)
            return invalid("manifest {}: schema 1 manifests ({}) are not supported", ref,
                           m.mediaType);
        m.mediaType = *sniffed;
    }
    return m;
}

Result<std::string> Client::getBlob(const Digest& d, int64_t maxSize) {
    HttpRequest req;
    req.url = url("blobs/" + d.str());
    req.maxBody = maxSize;
    auto resp = TRY(send(req));
    if (!resp.ok()) return registryError("GET " + req.url, resp);
    if (sha256Of(resp.body) != d)
        return Error{EBADMSG,
                     fmt::format("blob {}: digest mismatch (the registry sent content with "
                                 "digest {})",
                                 d.str(), sha256Of(resp.body).str()),
                     true};
    return std::move(resp.body);
}

Status Client::fetchBlob(const Digest& d, int64_t offset,
                         const std::function<Status(bool)>& onStart,
                         const std::function<Status(const char*, size_t)>& sink,
                         const std::atomic<bool>* cancel) {
    HttpRequest req;
    req.url = url("blobs/" + d.str());
    if (offset > 0) req.headers.push_back(fmt::format("Range: bytes={}-", offset));
    req.cancel = cancel;
    req.onResponse = [&](const HttpResponse& r) -> Status {
        bool resumed = false;
        if (offset > 0 && r.status == 206) {
            // "bytes 100-199/200": the range must start where we stopped.
            auto cr = r.header("content-range");
            auto sp = cr.find(' ');
            auto start =
                std::strtoll(cr.c_str() + (sp == std::string::npos ? 0 : sp + 1), nullptr, 10);
            if (start != offset)
                return Error{
                    EIO,
                    fmt::format("GET {}: asked for bytes from {}, got {}", req.url, offset, cr),
                    true};
            resumed = true;
        }
        return onStart(resumed);
    };
    req.sink = sink;
    auto resp = TRY(send(req));
    if (resp.status == 416)
        return Error{ERANGE, fmt::format("GET {}: range not satisfiable", req.url), true};
    if (!resp.ok()) return registryError("GET " + req.url, resp);
    return {};
}

Result<bool> Client::hasBlob(const Digest& d) {
    HttpRequest req;
    req.method = "HEAD";
    req.url = url("blobs/" + d.str());
    auto resp = TRY(send(req));
    if (resp.ok()) return true;
    if (resp.status == 404) return false;
    return registryError("HEAD " + req.url, resp);
}

Result<std::string> Client::startUpload() {
    HttpRequest req;
    req.method = "POST";
    req.url = url("blobs/uploads/");
    auto resp = TRY(send(req));
    if (resp.status != 202) return registryError("POST " + req.url, resp);
    auto loc = resp.header("location");
    if (loc.empty()) return invalid("POST {}: no Location in the response", req.url);
    return resolveUrl(req.url, loc);
}

Result<bool> Client::mountBlob(const Digest& d, const std::string& fromRepo) {
    HttpRequest req;
    req.method = "POST";
    req.url = url("blobs/uploads/?mount=" + urlEncode(d.str()) + "&from=" + urlEncode(fromRepo));
    auto resp = TRY(send(req));
    if (resp.status == 201) return true;
    if (resp.status == 202) {
        // Not mountable (e.g. no access to the source): the registry opened an upload instead.
        auto loc = resp.header("location");
        if (!loc.empty()) {
            std::lock_guard l(mu_);
            pendingUploads_[d.str()] = resolveUrl(req.url, loc);
        }
        return false;
    }
    return registryError("POST " + req.url, resp);
}

Status Client::uploadBlob(const Digest& d, int64_t size,
                          const std::function<Result<std::string>(int64_t, size_t)>& readAt,
                          const std::function<void(int64_t)>& progress,
                          const std::atomic<bool>* cancel) {
    std::string loc;
    {
        std::lock_guard l(mu_);
        if (auto it = pendingUploads_.find(d.str()); it != pendingUploads_.end()) {
            loc = it->second;
            pendingUploads_.erase(it);
        }
    }
    if (loc.empty()) loc = TRY(startUpload());
    auto withDigest = [&](const std::string& u) {
        return u + (u.find('?') == std::string::npos ? "?" : "&") + "digest=" + urlEncode(d.str());
    };
    int64_t off = 0;
    if (size > chunkSize_) {
        // Chunked upload: PATCH each chunk with its Content-Range, then PUT the digest.
        while (off < size) {
            auto n = static_cast<size_t>(std::min<int64_t>(chunkSize_, size - off));
            HttpRequest req;
            req.method = "PATCH";
            req.url = loc;
            req.cancel = cancel;
            req.body = TRY(readAt(off, n));
            if (req.body.size() != n)
                return makeError(EIO, "blob {}: short read at {}", d.str(), off);
            req.headers.push_back("Content-Type: application/octet-stream");
            req.headers.push_back(fmt::format("Content-Range: {}-{}", off, off + int64_t(n) - 1));
            int64_t base = off;
            req.onUpload = [&](int64_t sent) {
                if (progress) progress(base + sent);
            };
            auto resp = TRY(send(req));
            if (resp.status != 202) return registryError("PATCH " + loc, resp);
            if (auto l = resp.header("location"); !l.empty()) loc = resolveUrl(loc, l);
            off += static_cast<int64_t>(n);
            if (progress) progress(off);
        }
        HttpRequest put;
        put.method = "PUT";
        put.url = withDigest(loc);
        put.cancel = cancel;
        auto resp = TRY(send(put));
        if (resp.status != 201 && resp.status != 204) return registryError("PUT " + put.url, resp);
        return {};
    }
    // Small blob: one monolithic PUT.
    HttpRequest put;
    put.method = "PUT";
    put.url = withDigest(loc);
    put.cancel = cancel;
    put.body = TRY(readAt(0, static_cast<size_t>(size)));
    put.headers.push_back("Content-Type: application/octet-stream");
    put.onUpload = [&](int64_t sent) {
        if (progress) progress(sent);
    };
    auto resp = TRY(send(put));
    if (resp.status != 201 && resp.status != 204) return registryError("PUT " + put.url, resp);
    if (progress) progress(size);
    return {};
}

Result<Digest> Client::putManifest(const std::string& ref, const std::string& mediaType,
                                   const std::string& body) {
    HttpRequest req;
    req.method = "PUT";
    req.url = url("manifests/" + ref);
    req.body = body;
    req.headers.push_back("Content-Type: " + mediaType);
    auto resp = TRY(send(req));
    if (resp.status != 201 && resp.status != 200 && resp.status != 204)
        return registryError("PUT " + req.url, resp);
    auto mine = sha256Of(body);
    if (auto hd = resp.header("docker-content-digest"); !hd.empty() && hd != mine.str())
        return Error{EBADMSG,
                     fmt::format("PUT {}: the registry stored digest {}, expected {}", req.url, hd,
                                 mine.str()),
                     true};
    return mine;
}

}  // namespace berth::image::registry
