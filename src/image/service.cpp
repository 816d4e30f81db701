#include "image/service.h"

#include <algorithm>
#include <set>

#include "common/sys.h"
#include "image/media.h"
#include "image/service_meta.h"

namespace berth::image {

Result<std::unique_ptr<Service>> Service::open(const ServiceOptions& o) {
    if (o.root.empty()) return invalid("image service: no root directory");
    TRY_CTX(sys::mkdirAll(o.root, 0711), "image service");
    std::unique_ptr<Service> s(new Service(o));
    s->content_ = TRY(ContentStore::open(o.root));
    s->layers_ = TRY(LayerStore::open(o.root));
    s->meta_ = std::make_unique<Meta>(Meta{TRY(MetaStore::open(o.root))});
    return s;
}

Service::Service(ServiceOptions o) : opts_(std::move(o)) {}
Service::~Service() = default;

Result<Digest> Service::resolve(const std::string& nameOrId) const {
    auto md = TRY(meta_->store.read());
    auto notFound = [&] { return makeError(ENOENT, "No such image: {}", nameOrId); };
    // A full ID first, then a reference, then an ID prefix (as docker).
    if (nameOrId.rfind("sha256:", 0) == 0 && nameOrId.size() == 71) {
        if (md.images.count(nameOrId)) return TRY(Digest::parse(nameOrId));
        return notFound();
    }
    auto ref = Reference::parse(nameOrId);
    if (ref) {
        if (!ref->digest.empty()) {
            auto want = ref->name() + "@" + ref->digest;
            for (auto& [id, r] : md.images)
                for (auto& rd : r.repoDigests)
                    if (rd == want) return TRY(Digest::parse(id));
            // A digest reference may also name the manifest itself.
            for (auto& [id, r] : md.images)
                if (r.manifest.str() == ref->digest) return TRY(Digest::parse(id));
        } else if (auto it = md.tags.find(ref->str()); it != md.tags.end()) {
            return TRY(Digest::parse(it->second));
        }
    }
    if (looksLikeId(nameOrId)) {
        std::string prefix = nameOrId.rfind("sha256:", 0) == 0 ? nameOrId : "sha256:" + nameOrId;
        std::vector<std::string> hits;
        for (auto& [id, r] : md.images)
            if (id.rfind(prefix, 0) == 0) hits.push_back(id);
        if (hits.size() == 1) return TRY(Digest::parse(hits[0]));
        if (hits.size() > 1)
            return makeError(EINVAL, "image ID prefix {} is ambiguous ({} images)", nameOrId,
                             hits.size());
    }
    if (!ref && !looksLikeId(nameOrId)) return std::move(ref).error();
    return notFound();
}

Result<Image> Service::loadImage(const Digest& id) const {
    auto md = TRY(meta_->store.read());
    auto it = md.images.find(id.str());
    if (it == md.images.end()) return makeError(ENOENT, "No such image: {}", id.str());
    auto& rec = it->second;
    Image img;
    img.id = id;
    img.manifestDigest = rec.manifest;
    img.parent = rec.parent;
    auto cfgText = TRY_CTX(content_->readVerified(id), "image {}", id.shortHex());
    img.config = TRY_CTX(parseImageConfig(cfgText), "image {}", id.shortHex());
    for (auto& name : md.tagOrder)
        if (md.tags[name] == id.str()) img.repoTags.push_back(familiarTag(name));
    for (auto& rd : rec.repoDigests) img.repoDigests.push_back(familiarTag(rd));
    for (auto& d : img.config.diffIds) {
        auto li = layers_->info(d);
        if (li) img.size += li->size;
    }
    return img;
}

Result<Image> Service::get(const std::string& nameOrId) const {
    return loadImage(TRY(resolve(nameOrId)));
}

std::vector<Image> Service::list() const {
    std::vector<Image> out;
    auto md = meta_->store.read();
    if (!md) return out;
    for (auto& [id, r] : md->images) {
        auto d = Digest::parse(id);
        if (!d) continue;
        auto img = loadImage(*d);
        if (img) out.push_back(std::move(*img));
    }
    std::sort(out.begin(), out.end(),
              [](const Image& a, const Image& b) { return a.config.created > b.config.created; });
    return out;
}

Status Service::tag(const std::string& source, const std::string& target) {
    auto id = TRY(resolve(source));
    auto ref = TRY(Reference::parse(target));
    if (!ref.digest.empty()) return invalid("refusing to create a tag with a digest reference");
    return meta_->store.update([&](MetaData& m) -> Status {
        if (!m.images.count(id.str())) return makeError(ENOENT, "No such image: {}", source);
        m.tags[ref.str()] = id.str();
        m.tagOrder.push_back(ref.str());
        return {};
    });
}

Result<Image> Service::registerImage(const Digest& manifestDigest, const std::string& tagRef,
                                     const std::string& repoDigest) {
    auto text = TRY_CTX(content_->readVerified(manifestDigest), "register image");
    auto man = TRY_CTX(parseManifest(text), "register image");
    auto cfgText = TRY_CTX(content_->readVerified(man.config.digest), "register image");
    auto cfg = TRY_CTX(parseImageConfig(cfgText), "register image");
    if (cfg.diffIds.size() != man.layers.size())
        return invalid("image config lists {} layers, its manifest {}", cfg.diffIds.size(),
                       man.layers.size());
    for (auto& d : cfg.diffIds)
        if (!layers_->has(d))
            return makeError(ENOENT, "register image: layer {} is not unpacked", d.str());
    std::optional<Reference> tref;
    if (!tagRef.empty()) {
        tref = TRY(Reference::parse(tagRef));
        if (tref->tag.empty()) tref->tag = "latest";
        tref->digest.clear();
    }
    std::string rdFull;
    if (!repoDigest.empty()) {
        auto r = TRY(Reference::parse(repoDigest, false));
        if (r.digest.empty()) return invalid("repo digest {} has no digest", repoDigest);
        rdFull = r.name() + "@" + r.digest;
    }
    auto id = man.config.digest;
    TRY(meta_->store.update([&](MetaData& m) -> Status {
        auto& rec = m.images[id.str()];
        if (rec.manifest.empty() || !content_->has(rec.manifest)) rec.manifest = manifestDigest;
        if (rec.loaded.empty()) rec.loaded = nowRfc3339();
        auto addBlob = [&](const Digest& d) {
            if (std::find(rec.blobs.begin(), rec.blobs.end(), d) == rec.blobs.end())
                rec.blobs.push_back(d);
        };
        addBlob(manifestDigest);
        addBlob(man.config.digest);
        for (auto& l : man.layers) addBlob(l.digest);
        if (!rdFull.empty()) {
            // One digest per repository: a newer pull of the repo replaces the old entry.
            auto name = rdFull.substr(0, rdFull.find('@'));
            std::erase_if(rec.repoDigests,
                          [&](const std::string& s) { return s.substr(0, s.find('@')) == name; });
            rec.repoDigests.push_back(rdFull);
        }
        if (tref) {
            m.tags[tref->str()] = id.str();
            m.tagOrder.push_back(tref->str());
        }
        return {};
    }));
    return loadImage(id);
}

Result<Image> Service::createImage(const ImageConfig& cfg, const std::vector<Descriptor>& layers,
                                   const std::string& ref, const std::string& parent) {
    if (cfg.diffIds.size() != layers.size())
        return invalid("create image: {} diff IDs for {} layers", cfg.diffIds.size(),
                       layers.size());
    bool docker = std::any_of(layers.begin(), layers.end(), [](const Descriptor& d) {
        return d.mediaType.rfind("application/vnd.docker", 0) == 0;
    });
    auto cfgText = toJson(cfg);
    auto cfgDigest = TRY(content_->put(cfgText));
    Manifest m;
    m.mediaType = docker ? media::kDockerManifest : media::kOciManifest;
    m.config = Descriptor{std::string(docker ? media::kDockerConfig : media::kOciConfig), cfgDigest,
                          static_cast<int64_t>(cfgText.size())};
    m.layers = layers;
    auto manDigest = TRY(content_->put(toJson(m)));
    auto img = TRY(registerImage(manDigest, ref));
    if (!parent.empty()) {
        TRY(meta_->store.update([&](MetaData& md) -> Status {
            md.images[img.id.str()].parent = parent;
            return {};
        }));
        img.parent = parent;
    }
    return img;
}

Result<Digest> Service::putLayerBlobFromUpper(const std::string& upperDir, Digest& diffId) {
    auto key = fmt::format("commit-{}-{}", getpid(), sha256Of(upperDir + nowRfc3339()).shortHex());
    auto w = TRY(content_->ingest(key, false));
    auto comp = TRY(archive::makeCompressor(
        archive::Compression::Gzip, [&](const void* p, size_t n) { return w.write(p, n); }, 1));
    auto tar = archive::writeTar(
        upperDir, [&](const void* p, size_t n) { return comp->write(p, n); },
        archive::Compression::None, archive::TarOptions{.fromOverlayUpper = true});
    if (!tar) {
        w.discard();
        return std::move(tar).error().wrap("commit");
    }
    auto fin = comp->finish();
    if (!fin) {
        w.discard();
        return std::move(fin).error().wrap("commit");
    }
    diffId = tar->diffId;
    return TRY(w.commit(std::nullopt));
}

Result<Image> Service::commit(const std::string& upperDir, const CommitOptions& o) {
    ImageConfig cfg;
    std::vector<Descriptor> layers;
    std::string parentId;
    if (o.parent) {
        auto p = TRY(loadImage(*o.parent));
        parentId = p.id.str();
        cfg = p.config;
        auto man = TRY(parseManifest(TRY(content_->readVerified(p.manifestDigest))));
        layers = man.layers;
    }
    cfg.config = o.config;
    cfg.created = nowRfc3339();
    cfg.author = o.author;
    cfg.comment = o.comment;  // docker commit -m shows in the image's Comment too
    cfg.architecture = "amd64";
    cfg.os = "linux";
    HistoryEntry h{cfg.created, o.createdBy, o.author, o.comment, o.emptyLayer};
    if (!o.emptyLayer) {
        Digest diffId;
        auto blob = TRY(putLayerBlobFromUpper(upperDir, diffId));
        if (!layers_->has(diffId)) {
            auto fd = TRY(content_->openBlob(blob));
            archive::ReadFn rd = [&](void* buf, size_t n) -> Result<size_t> {
                ssize_t r;
                do r = ::read(fd.get(), buf, n);
                while (r < 0 && errno == EINTR);
                if (r < 0) return errnoError("read layer blob {}", blob.str());
                return static_cast<size_t>(r);
            };
            TRY_CTX(layers_->create(rd, diffId), "commit");
        }
        cfg.diffIds.push_back(diffId);
        layers.push_back(
            Descriptor{std::string(media::kOciLayerGzip), blob, TRY(content_->size(blob))});
    }
    // Layer media types follow the parent's family so the manifest stays one kind.
    bool docker = std::any_of(layers.begin(), layers.end(), [](const Descriptor& d) {
        return d.mediaType.rfind("application/vnd.docker", 0) == 0;
    });
    if (docker)
        for (auto& l : layers)
            if (l.mediaType == media::kOciLayerGzip) l.mediaType = media::kDockerLayerGzip;
    cfg.history.push_back(h);
    return createImage(cfg, layers, o.ref, parentId);
}

Result<RootfsLayers> Service::rootfsLayers(const Digest& imageId) const {
    auto img = TRY(loadImage(imageId));
    RootfsLayers r;
    // Layers are stored by content, so an image can list one twice (two steps that made the
    // same change, often an empty one). Overlay refuses a lower dir given twice (ELOOP); the
    // topmost copy shadows everything the lower one holds, so the lower one is left out.
    std::set<std::string> seen;
    for (auto it = img.config.diffIds.rbegin(); it != img.config.diffIds.rend(); ++it) {
        if (!layers_->has(*it))
            return makeError(ENOENT, "layer {} of image {} is missing", it->str(),
                             imageId.shortHex());
        std::string dir = layers_->diffDir(*it);
        if (seen.insert(dir).second) r.lowerDirs.push_back(std::move(dir));
    }
    if (r.lowerDirs.empty()) r.lowerDirs.push_back(layers_->emptyDir());
    return r;
}

Result<std::vector<HistoryEntry>> Service::history(const std::string& nameOrId) const {
    auto img = TRY(get(nameOrId));
    std::vector<HistoryEntry> h(img.config.history.rbegin(), img.config.history.rend());
    return h;
}

}  // namespace berth::image
