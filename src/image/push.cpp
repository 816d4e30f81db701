// Service::push (layers, config, manifest; existing blobs skipped, mounts from sibling
// repositories tried first) and login/logout.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "image/media.h"
#include "image/registry/client.h"
#include "image/registry/credentials.h"
#include "image/service.h"

namespace berth::image {

namespace {

std::string authFileOf(const ServiceOptions& o) {
    return o.authFile.empty() ? registry::defaultAuthFile() : o.authFile;
}

// The host to talk to for a server name given to login.
std::string loginHost(const std::string& server) {
    auto n = registry::normalizeServer(server);
    return n == "docker.io" ? "registry-1.docker.io" : n;
}

// Reads blob bytes by offset (uploads are chunked and may be retried).
std::function<Result<std::string>(int64_t, size_t)> blobReader(int fd, const Digest& d) {
    return [fd, d](int64_t off, size_t n) -> Result<std::string> {
        std::string buf(n, '\0');
        size_t got = 0;
        while (got < n) {
            ssize_t r = ::pread(fd, buf.data() + got, n - got, off + static_cast<int64_t>(got));
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) return errnoError("read blob {}", d.str());
            if (r == 0) break;
            got += static_cast<size_t>(r);
        }
        buf.resize(got);
        return buf;
    };
}

struct PushLayer {
    Descriptor desc;
    std::string id;  // docker shows diffIDs in push output
};

}  // namespace

Status Service::push(const std::string& refStr, Progress& p, const PushOptions& o) {
    auto ref = TRY(Reference::parse(refStr));
    if (!ref.digest.empty()) return invalid("push {}: cannot push a digest reference", refStr);
    auto img = TRY(get(ref.familiar()));
    auto manText = TRY_CTX(content_->readVerified(img.manifestDigest), "push {}", ref.familiar());
    auto man = TRY_CTX(parseManifest(manText), "push {}", ref.familiar());
    auto mediaType = man.mediaType.empty() ? TRY(sniffMediaType(manText)) : man.mediaType;

    // Repositories of the same registry that already hold this image: blobs mount from there.
    std::vector<std::string> sources;
    std::vector<std::string> extraScopes;
    for (auto& rd : img.repoDigests) {
        auto r = Reference::parse(rd, false);
        if (r && r->domain == ref.domain && r->path != ref.path) {
            sources.push_back(r->path);
            extraScopes.push_back(registry::repositoryScope(r->path, "pull"));
        }
    }
    auto creds = TRY_CTX(registry::credentialsFor(opts_.authFile, o.authHeader, ref.domain),
                         "push {}", ref.familiar());
    registry::Client client(registry::ClientOptions{
        ref.registryHost(), ref.path, opts_.insecureRegistries, creds, "pull,push", extraScopes});
    p.emit(ProgressEvent{"", "The push refers to repository [" + ref.name() + "]"});

    std::vector<PushLayer> layers;
    for (size_t i = 0; i < man.layers.size(); i++) {
        auto& l = man.layers[i];
        auto id =
            i < img.config.diffIds.size() ? img.config.diffIds[i].shortHex() : l.digest.shortHex();
        if (!content_->has(l.digest))
            return makeError(ENOENT, "push {}: layer blob {} is not in the content store",
                             ref.familiar(), l.digest.str());
        layers.push_back(PushLayer{l, id});
    }
    // Docker lists the top layer first.
    std::reverse(layers.begin(), layers.end());
    int limit = std::max(1, opts_.maxConcurrentUploads);
    for (size_t i = 0; i < layers.size(); i++) p.emit(ProgressEvent{layers[i].id, "Preparing"});
    for (size_t i = static_cast<size_t>(limit); i < layers.size(); i++)
        p.emit(ProgressEvent{layers[i].id, "Waiting"});

    std::atomic<bool> failed{false};
    auto pushBlob = [&](const Descriptor& d, const std::string& id) -> Status {
        if (TRY(client.hasBlob(d.digest))) {
            if (!id.empty()) p.emit(ProgressEvent{id, "Layer already exists"});
            return {};
        }
        for (auto& src : sources) {
            if (TRY(client.mountBlob(d.digest, src))) {
                if (!id.empty()) p.emit(ProgressEvent{id, "Mounted from " + src});
                return {};
            }
        }
        auto fd = TRY(content_->openBlob(d.digest));
        auto size = TRY(content_->size(d.digest));
        auto last = std::chrono::steady_clock::time_point{};
        auto progress = [&](int64_t sent) {
            if (id.empty()) return;
            auto now = std::chrono::steady_clock::now();
            if (sent < size && now - last < std::chrono::milliseconds(100)) return;
            last = now;
            p.emit(ProgressEvent{id, "Pushing", sent, size});
        };
        progress(0);
        TRY_CTX(
            client.uploadBlob(d.digest, size, blobReader(fd.get(), d.digest), progress, &failed),
            "upload {}", d.digest.str());
        if (!id.empty()) p.emit(ProgressEvent{id, "Pushed"});
        return {};
    };

    std::vector<Status> results(layers.size());
    std::atomic<size_t> next{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < limit && static_cast<size_t>(w) < layers.size(); w++)
        workers.emplace_back([&] {
            for (size_t i; (i = next++) < layers.size();) {
                if (failed) {
                    results[i] = makeError(ECANCELED, "push cancelled");
                    continue;
                }
                results[i] = pushBlob(layers[i].desc, layers[i].id);
                if (!results[i]) failed = true;
            }
        });
    for (auto& t : workers) t.join();
    for (auto& r : results)
        if (!r && r.error().code != ECANCELED)
            return r.error().wrap(fmt::format("push {}", ref.familiar()));

    TRY_CTX(pushBlob(man.config, ""), "push {}: config", ref.familiar());
    std::string tag = ref.tag.empty() ? "latest" : ref.tag;
    auto digest =
        TRY_CTX(client.putManifest(tag, mediaType, manText), "push {}: manifest", ref.familiar());
    p.emit(ProgressEvent{
        "", fmt::format("{}: digest: {} size: {}", tag, digest.str(), manText.size())});
    ProgressEvent aux;
    aux.aux =
        fmt::format(R"({{"Tag":"{}","Digest":"{}","Size":{}}})", tag, digest.str(), manText.size());
    p.emit(aux);
    TRY_CTX(registerImage(img.manifestDigest, "", ref.name() + "@" + digest.str()),
            "push {}: record the repo digest", ref.familiar());
    return {};
}

Result<std::string> Service::login(const std::string& server, const std::string& user,
                                   const std::string& password) {
    if (user.empty()) return invalid("login: a username is required");
    if (password.empty()) return invalid("login: a password is required");
    auto name = registry::normalizeServer(server.empty() ? "docker.io" : server);
    registry::Credentials c;
    c.username = user;
    c.password = password;
    registry::Client client(
        registry::ClientOptions{loginHost(name), "", opts_.insecureRegistries, c, "", {}});
    TRY_CTX(client.ping(), "login to {}", name);
    TRY_CTX(registry::storeCredentials(authFileOf(opts_), name, c), "login to {}", name);
    return std::string("Login Succeeded");
}

Status Service::logout(const std::string& server) {
    auto name = registry::normalizeServer(server.empty() ? "docker.io" : server);
    registry::clearTokenCache();
    if (!TRY(registry::eraseCredentials(authFileOf(opts_), name)))
        return Error{ENOENT, fmt::format("Not logged in to {}", name), true};
    return {};
}

}  // namespace berth::image
