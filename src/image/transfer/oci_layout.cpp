// OCI image layout directories (oci-layout, index.json, blobs/sha256/*): save images into one,
// load one image from one.
//
// Saving keeps layers as stored (compressed) and the manifest's bytes when it already is an OCI
// manifest; a Docker schema2 manifest is rewritten with the OCI media types (the config bytes,
// hence the image ID, stay the same). Index entries carry docker's annotations:
// io.containerd.image.name (the full name) and org.opencontainers.image.ref.name (the tag), so
// `skopeo copy oci:DIR:TAG` finds them. An existing layout is added to; entries of the same
// name are replaced.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "image/content_store.h"
#include "image/media.h"
#include "image/service.h"
#include "image/transfer/blob_io.h"
#include "image/transfer/install.h"
#include "image/transfer/layer_tar.h"
#include "image/transfer/selection.h"

namespace berth::image {

namespace {

using namespace transfer;

constexpr std::string_view kNameAnnotation = "io.containerd.image.name";
constexpr std::string_view kRefAnnotation = "org.opencontainers.image.ref.name";

std::string blobFile(const std::string& dir, const Digest& d) {
    return dir + "/blobs/" + d.algo + "/" + d.hex;
}

// Writes a blob file (temp + rename) unless it is there already.
Status writeBlobFile(const std::string& dir, const Digest& d, const archive::ReadFn& src) {
    std::string path = blobFile(dir, d);
    if (sys::exists(path)) return {};
    std::string tmp = dir + "/blobs/" + d.algo + "/." + uniqueName(d.hex.substr(0, 12));
    auto fd = TRY(sys::open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    ScopeGuard rm([&tmp] { ::unlink(tmp.c_str()); });
    Sha256 h;
    std::vector<char> buf(256 << 10);
    while (true) {
        size_t n = TRY(src(buf.data(), buf.size()));
        if (n == 0) break;
        h.update(buf.data(), n);
        TRY_CTX(sys::writeFd(fd.get(), std::string_view(buf.data(), n)), "write {}", tmp);
    }
    if (Digest got = h.finish(); got != d)
        return invalid("blob {}: wrote data with digest {}", d.str(), got.str());
    if (::fsync(fd.get()) < 0) return errnoError("fsync {}", tmp);
    if (::rename(tmp.c_str(), path.c_str()) < 0) return errnoError("rename {}", tmp);
    rm.cancel();
    return {};
}

Status writeBlobFile(const std::string& dir, const Digest& d, std::string_view data) {
    size_t off = 0;
    return writeBlobFile(dir, d, [&](void* buf, size_t n) -> Result<size_t> {
        n = std::min(n, data.size() - off);
        std::memcpy(buf, data.data() + off, n);
        off += n;
        return n;
    });
}

std::string ociLayerType(const std::string& mt) {
    if (mt == media::kDockerLayer) return std::string(media::kOciLayer);
    if (mt == media::kDockerLayerGzip) return std::string(media::kOciLayerGzip);
    if (mt == media::kDockerForeignLayer) return std::string(media::kOciLayerNdGzip);
    return mt;
}

// Writes one image's blobs; returns the descriptor of its (OCI) manifest in the layout.
Result<Descriptor> saveImageBlobs(Service& svc, const std::string& dir, const Image& img) {
    auto& cs = svc.content();
    auto b = TRY(imageBlobs(svc, img));
    Manifest m = b.manifest;
    std::string mbytes = TRY(cs.readVerified(img.manifestDigest));
    bool rewrite = m.mediaType != media::kOciManifest;
    m.mediaType = media::kOciManifest;
    m.config.mediaType = media::kOciConfig;
    TRY(writeBlobFile(dir, img.id, b.config));
    for (size_t i = 0; i < m.layers.size(); ++i) {
        auto& l = m.layers[i];
        if (cs.has(l.digest)) {
            l.mediaType = ociLayerType(l.mediaType);
            TRY_CTX(writeBlobFile(dir, l.digest, TRY(blobReader(cs, l.digest))), "layer {}",
                    l.digest.str());
            continue;
        }
        // The blob is gone (a foreign layer, or freed): write the layer uncompressed instead.
        auto lt = TRY(layerTar(svc, l, b.cfg.diffIds[i]));
        TRY(writeBlobFile(dir, b.cfg.diffIds[i], lt.reader));
        l = Descriptor{std::string(media::kOciLayer), b.cfg.diffIds[i], lt.size, {}, {}, {}};
        rewrite = true;
    }
    if (rewrite) mbytes = toJson(m);
    Digest md = sha256Of(mbytes);
    TRY(writeBlobFile(dir, md, mbytes));
    return Descriptor{std::string(media::kOciManifest),
                      md,
                      static_cast<int64_t>(mbytes.size()),
                      Platform{b.cfg.architecture, b.cfg.os, b.cfg.variant, ""},
                      {},
                      {}};
}

Result<Index> readLayoutIndex(const std::string& dir, bool mustExist) {
    std::string path = dir + "/index.json";
    if (!mustExist && !sys::exists(path)) {
        Index idx;
        idx.mediaType = media::kOciIndex;
        return idx;
    }
    auto bytes = TRY(sys::readFile(path));
    return TRY_CTX(parseIndex(bytes), "{}", path);
}

}  // namespace

Status Service::saveOciLayout(const std::vector<std::string>& names, const std::string& dir) {
    auto items = TRY_CTX(selectImages(*this, names), "save");
    TRY_CTX(sys::mkdirAll(dir + "/blobs/sha256", 0755), "save: create {}", dir);
    auto idx = TRY_CTX(readLayoutIndex(dir, false), "save");
    for (const auto& item : items) {
        auto d = TRY_CTX(saveImageBlobs(*this, dir, item.image), "save {}", item.image.id.str());
        auto add = [&idx](Descriptor e) {
            // A name points at one image: drop older entries of the same name (or digest,
            // for an unnamed entry).
            auto same = [&e](const Descriptor& o) {
                auto n = e.annotations.find(std::string(kNameAnnotation));
                if (n == e.annotations.end()) return o.annotations.empty() && o.digest == e.digest;
                auto on = o.annotations.find(std::string(kNameAnnotation));
                return on != o.annotations.end() && on->second == n->second;
            };
            std::erase_if(idx.manifests, same);
            idx.manifests.push_back(std::move(e));
        };
        for (const auto& t : item.tags) {
            d.annotations = {{std::string(kNameAnnotation), t.str()},
                             {std::string(kRefAnnotation), t.tag}};
            add(d);
        }
        if (item.tags.empty()) add(d);
    }
    idx.schemaVersion = 2;
    idx.mediaType = media::kOciIndex;
    TRY_CTX(sys::writeFileAtomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"), "save");
    TRY_CTX(sys::writeFileAtomic(dir + "/index.json", toJson(idx)), "save");
    return {};
}

Result<Image> Service::loadOciLayout(const std::string& dir, const std::string& tag) {
    auto idx = TRY_CTX(readLayoutIndex(dir, true), "load {}", dir);
    // Pick the entry: by tag when given (full name, or the layout's own ref name), else the
    // only image in the layout.
    std::optional<Reference> want;
    if (!tag.empty()) want = TRY_CTX(Reference::parse(tag), "load");
    std::vector<const Descriptor*> picked;
    for (const auto& d : idx.manifests) {
        bool match = !want;
        if (want) {
            auto ref = d.annotations.find(std::string(kRefAnnotation));
            std::string name = nameFromAnnotations(d.annotations);
            match = name == want->name() + ":" + want->tag ||
                    (ref != d.annotations.end() &&
                     (ref->second == tag || (name.empty() && ref->second == want->tag)));
        }
        if (match) picked.push_back(&d);
    }
    if (picked.empty() && idx.manifests.size() == 1) picked.push_back(&idx.manifests[0]);
    if (picked.empty()) return invalid("load {}: no image {} in the layout", dir, tag);
    for (const auto* d : picked)
        if (d->digest != picked[0]->digest)
            return invalid("load {}: the layout holds several images; name one", dir);

    Ledger ledger(*this);
    auto fromDir = [&](const Digest& d) -> Status {
        if (content().has(d)) return {};
        auto fd = TRY(sys::open(blobFile(dir, d), O_RDONLY | O_CLOEXEC));
        TRY_CTX(ingestStream(*this, ledger, fdReader(std::move(fd)), d), "blob {}", d.str());
        return {};
    };
    // Store the index chain down to the platform's manifest, then its config and layers.
    Descriptor cur = *picked[0];
    TRY_CTX(fromDir(cur.digest), "load {}", dir);
    for (int depth = 0;; ++depth) {
        auto bytes = TRY_CTX(content().readVerified(cur.digest), "load {}", dir);
        if (cur.mediaType.empty()) cur.mediaType = TRY(sniffMediaType(bytes));
        if (media::isManifest(cur.mediaType)) break;
        if (!media::isIndex(cur.mediaType) || depth >= 4)
            return invalid("load {}: {} is not an image manifest", dir, cur.digest.str());
        auto nested = TRY_CTX(parseIndex(bytes), "load {}", dir);
        cur = TRY_CTX(pickPlatform(nested), "load {}", dir);
        TRY_CTX(fromDir(cur.digest), "load {}", dir);
    }
    auto m = TRY_CTX(parseManifest(TRY(content().readVerified(cur.digest))), "load {}", dir);
    TRY_CTX(fromDir(m.config.digest), "load {}", dir);
    for (const auto& l : m.layers) TRY_CTX(fromDir(l.digest), "load {}", dir);

    NullProgress np;
    auto prepared = TRY_CTX(prepareManifest(*this, ledger, cur.digest, np), "load {}", dir);
    prepared.tags.clear();
    if (want)
        prepared.tags.push_back(want->name() + ":" + want->tag);
    else if (auto n = nameFromAnnotations(picked[0]->annotations); !n.empty())
        prepared.tags.push_back(n);
    TRY(registerPrepared(*this, ledger, {prepared}));
    return get(prepared.config.str());
}

}  // namespace berth::image
