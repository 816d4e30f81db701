// Service::pull: manifest (through an index to this platform's manifest), config, and the
// layers downloaded and unpacked in parallel (registry/layer_fetch.cpp), then the image record.
#include <atomic>
#include <set>
#include <thread>

#include "image/media.h"
#include "image/registry/client.h"
#include "image/registry/credentials.h"
#include "image/registry/layer_fetch.h"
#include "image/service.h"

namespace berth::image {

namespace {

Error manifestError(const Reference& ref, Error e) {
    if (e.code == ENOENT)
        return Error{ENOENT, fmt::format("manifest for {} not found: {}", ref.familiar(), e.msg),
                     true};
    if (e.code == EACCES)
        return Error{EACCES,
                     fmt::format("pull access denied for {}, repository does not exist or may "
                                 "require 'berth login': {}",
                                 ref.familiarName(), e.msg),
                     true};
    return std::move(e).wrap(fmt::format("pull {}", ref.familiar()));
}

}  // namespace

Result<Image> Service::pull(const std::string& refStr, Progress& p, const PullOptions& o) {
    auto ref = TRY(Reference::parse(refStr));
    auto creds = TRY_CTX(registry::credentialsFor(opts_.authFile, o.authHeader, ref.domain),
                         "pull {}", ref.familiar());
    registry::Client client(registry::ClientOptions{
        ref.registryHost(), ref.path, opts_.insecureRegistries, creds, "pull", {}});
    const std::string want = ref.digest.empty() ? ref.tag : ref.digest;
    p.emit(ProgressEvent{want, "Pulling from " + ref.path});

    auto top = client.getManifest(want);
    if (!top) return manifestError(ref, std::move(top).error());
    registry::FetchedManifest man = *top;
    if (media::isIndex(top->mediaType)) {
        auto idx = TRY_CTX(parseIndex(top->body), "pull {}: manifest list", ref.familiar());
        auto desc = TRY_CTX(pickPlatform(idx, o.os, o.arch), "pull {}", ref.familiar());
        auto m = client.getManifest(desc.digest.str());
        if (!m) return manifestError(ref, std::move(m).error());
        if (!media::isManifest(m->mediaType))
            return invalid("pull {}: {} for {}/{} is a {}, not an image manifest", ref.familiar(),
                           desc.digest.str(), o.os, o.arch, m->mediaType);
        man = std::move(*m);
    }
    auto m =
        TRY_CTX(parseManifest(man.body), "pull {}: manifest {}", ref.familiar(), man.digest.str());
    for (auto& l : m.layers)
        if (!media::isLayer(l.mediaType))
            return invalid("pull {}: layer {} has an unsupported media type {}", ref.familiar(),
                           l.digest.str(), l.mediaType);

    std::string cfgText;
    if (content_->has(m.config.digest)) {
        cfgText = TRY_CTX(content_->readVerified(m.config.digest), "pull {}", ref.familiar());
    } else {
        cfgText = TRY_CTX(client.getBlob(m.config.digest), "pull {}: config", ref.familiar());
    }
    if (m.config.size > 0 && static_cast<int64_t>(cfgText.size()) != m.config.size)
        return Error{
            EBADMSG,
            fmt::format("pull {}: config {} is {} bytes, its descriptor says {}", ref.familiar(),
                        m.config.digest.str(), cfgText.size(), m.config.size),
            true};
    auto cfg = TRY_CTX(parseImageConfig(cfgText), "pull {}: config", ref.familiar());
    if (cfg.diffIds.size() != m.layers.size())
        return invalid("pull {}: the config lists {} layers, the manifest {}", ref.familiar(),
                       cfg.diffIds.size(), m.layers.size());

    std::optional<Digest> oldId;
    if (auto old = get(ref.familiar())) oldId = old->id;

    // Which layers need work; a blob listed twice is fetched once.
    std::vector<registry::LayerFetch> todo;
    std::set<Digest> seen;
    bool complete = content_->has(m.config.digest);
    for (size_t i = 0; i < m.layers.size(); i++)
        if (!content_->has(m.layers[i].digest) || !layers_->has(cfg.diffIds[i])) complete = false;
    for (size_t i = 0; i < m.layers.size() && !complete; i++) {
        auto& l = m.layers[i];
        if (!seen.insert(l.digest).second) continue;
        if (content_->has(l.digest) && layers_->has(cfg.diffIds[i])) {
            p.emit(ProgressEvent{l.digest.shortHex(), "Already exists"});
            continue;
        }
        p.emit(ProgressEvent{l.digest.shortHex(), "Pulling fs layer"});
        todo.push_back(registry::LayerFetch{static_cast<int>(i), l, cfg.diffIds[i]});
    }

    registry::DownloadSlots slots(opts_.maxConcurrentDownloads);
    std::atomic<bool> cancelled{false};
    registry::FetchEnv env{client, *content_, *layers_, slots, p, cancelled};
    std::vector<Status> results(todo.size());
    std::vector<std::thread> threads;
    threads.reserve(todo.size());
    for (size_t i = 0; i < todo.size(); i++)
        threads.emplace_back([&, i] {
            results[i] = registry::fetchLayer(env, todo[i]);
            if (!results[i]) cancelled = true;
        });
    for (auto& t : threads) t.join();
    // The first real failure (others were cancelled because of it).
    const Status* failed = nullptr;
    for (auto& r : results)
        if (!r && (!failed || (failed->error().code == ECANCELED && r.error().code != ECANCELED)))
            failed = &r;
    if (failed) return failed->error().wrap(fmt::format("pull {}", ref.familiar()));

    TRY_CTX(content_->put(cfgText, m.config.digest), "pull {}: store config", ref.familiar());
    TRY_CTX(content_->put(man.body, man.digest), "pull {}: store manifest", ref.familiar());
    std::string tagRef = ref.digest.empty() ? ref.str() : "";
    auto img = TRY_CTX(registerImage(man.digest, tagRef, ref.name() + "@" + top->digest.str()),
                       "pull {}", ref.familiar());
    p.emit(ProgressEvent{"", "Digest: " + top->digest.str()});
    bool upToDate = oldId && *oldId == img.id;
    p.emit(ProgressEvent{"", (upToDate ? "Status: Image is up to date for "
                                       : "Status: Downloaded newer image for ") +
                                 ref.familiar()});
    return img;
}

}  // namespace berth::image
