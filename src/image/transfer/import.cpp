// `docker import`: a rootfs tarball becomes a one-layer image.
//
// One pass over the input: the bytes are unpacked into the layer store and, at the same time,
// written to a content-store ingest, so the layer's blob is exactly what was imported (gzip,
// zstd or plain tar, with the matching media type). Other compressions (xz, bzip2, ...) have
// no layer media type: those are decompressed first and stored as a plain tar.
#include <cstring>

#include "common/scope_guard.h"
#include "image/content_store.h"
#include "image/media.h"
#include "image/reference.h"
#include "image/service.h"
#include "image/transfer/blob_io.h"
#include "image/transfer/changes.h"
#include "image/transfer/tar_reader.h"

namespace berth::image {

namespace {

// A source whose first bytes were already read (to sniff the compression): replays them.
archive::ReadFn replay(std::string head, const archive::ReadFn& src) {
    auto pos = std::make_shared<size_t>(0);
    return [head = std::move(head), pos, src](void* buf, size_t n) -> Result<size_t> {
        if (*pos < head.size()) {
            n = std::min(n, head.size() - *pos);
            std::memcpy(buf, head.data() + *pos, n);
            *pos += n;
            return n;
        }
        return src(buf, n);
    };
}

bool otherCompression(std::string_view h) {
    auto u = [&h](size_t i) { return static_cast<unsigned char>(h[i]); };
    bool xz = h.size() >= 6 && u(0) == 0xfd && h.substr(1, 4) == "7zXZ" && u(5) == 0;
    bool bz2 = h.size() >= 3 && h.substr(0, 3) == "BZh";
    bool lz4 = h.size() >= 4 && u(0) == 0x04 && u(1) == 0x22 && u(2) == 0x4d && u(3) == 0x18;
    return xz || bz2 || lz4;
}

}  // namespace

Result<Image> Service::importRootfs(const archive::ReadFn& src, const std::string& ref,
                                    const std::vector<std::string>& changes,
                                    const std::string& message) {
    // Check the arguments before reading any input.
    std::string tag;
    if (!ref.empty()) {
        auto r = TRY_CTX(Reference::parse(ref), "import");
        if (!r.digest.empty()) return invalid("import: {}: a digest cannot be a new name", ref);
        tag = r.name() + ":" + r.tag;
    }
    ContainerConfig cc;
    TRY_CTX(transfer::applyChanges(cc, changes), "import");

    std::string head(6, '\0');
    size_t got = 0;
    while (got < head.size()) {
        size_t n = TRY_CTX(src(head.data() + got, head.size() - got), "import");
        if (n == 0) break;
        got += n;
    }
    head.resize(got);
    if (head.empty()) return invalid("import: the input is empty");
    auto comp = transfer::sniffCompression(head.data(), head.size());
    archive::ReadFn in = replay(head, src);
    if (otherCompression(head))
        in = TRY_CTX(transfer::decompressingReader(std::move(in)), "import");

    auto w = TRY_CTX(content().ingest(transfer::uniqueName("import"), false), "import");
    ScopeGuard discard([&w] { w.discard(); });
    Sha256 h;
    int64_t size = 0;
    archive::ReadFn tee = [&](void* buf, size_t n) -> Result<size_t> {
        size_t r = TRY(in(buf, n));
        if (r == 0) return r;
        h.update(buf, r);
        TRY(w.write(buf, r));
        size += static_cast<int64_t>(r);
        return r;
    };
    auto layer = TRY_CTX(layers().create(tee, std::nullopt), "import");
    // The unpacker may stop at the tar's end blocks: the blob is the whole input.
    char buf[64 << 10];
    while (TRY_CTX(tee(buf, sizeof buf), "import") > 0) {
    }
    Digest blob = h.finish();
    if (comp == archive::Compression::None && blob != layer.diffId)
        return invalid("import: the tar's digest {} differs from the unpacked layer's {}",
                       blob.str(), layer.diffId.str());
    bool existed = content().has(blob);
    TRY_CTX(w.commit(blob, size), "import");
    discard.cancel();
    ScopeGuard dropBlob([&] {
        if (!existed) (void)content().remove(blob);
    });

    ImageConfig cfg;
    cfg.created = nowRfc3339();
    cfg.architecture = "amd64";
    cfg.os = "linux";
    cfg.config = std::move(cc);
    // Docker uses the message as both comment and history comment, by default "Imported from -".
    cfg.comment = message.empty() ? "Imported from -" : message;
    cfg.diffIds = {layer.diffId};
    HistoryEntry hist;
    hist.created = cfg.created;
    hist.comment = cfg.comment;
    cfg.history = {hist};
    Descriptor d{transfer::layerMediaType(comp, true), blob, size, {}, {}, {}};
    auto img = TRY_CTX(createImage(cfg, {d}, tag), "import");
    dropBlob.cancel();
    return img;
}

}  // namespace berth::image
