// Stream helpers shared by the transfer code (see blob_io.h).
#include "image/transfer/blob_io.h"

#include <sys/random.h>
#include <unistd.h>

#include "common/scope_guard.h"
#include "image/content_store.h"
#include "image/media.h"
#include "image/service.h"
#include "image/transfer/tar_reader.h"

namespace berth::image::transfer {

archive::ReadFn fdReader(UniqueFd fd) {
    auto shared = std::make_shared<UniqueFd>(std::move(fd));
    return [shared](void* buf, size_t n) -> Result<size_t> {
        while (true) {
            ssize_t got = ::read(shared->get(), buf, n);
            if (got >= 0) return static_cast<size_t>(got);
            if (errno != EINTR) return errnoError("read");
        }
    };
}

Result<archive::ReadFn> blobReader(const ContentStore& cs, const Digest& d) {
    auto fd = TRY_CTX(cs.openBlob(d), "open blob {}", d.str());
    return fdReader(std::move(fd));
}

archive::Compression sniffCompression(const void* data, size_t n) {
    auto* p = static_cast<const unsigned char*>(data);
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return archive::Compression::Gzip;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
        return archive::Compression::Zstd;
    return archive::Compression::None;
}

Result<archive::Compression> blobCompression(const ContentStore& cs, const Digest& d) {
    auto fd = TRY_CTX(cs.openBlob(d), "open blob {}", d.str());
    unsigned char head[4];
    size_t got = 0;
    while (got < sizeof head) {
        ssize_t n = ::pread(fd.get(), head + got, sizeof head - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("read blob {}", d.str());
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    return sniffCompression(head, got);
}

std::string layerMediaType(archive::Compression c, bool oci) {
    using archive::Compression;
    if (c == Compression::Zstd) return std::string(media::kOciLayerZstd);
    if (oci) return std::string(c == Compression::Gzip ? media::kOciLayerGzip : media::kOciLayer);
    return std::string(c == Compression::Gzip ? media::kDockerLayerGzip : media::kDockerLayer);
}

std::string uniqueName(std::string_view prefix) {
    unsigned char r[8] = {};
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    std::string out(prefix);
    out += '-';
    for (unsigned char c : r) out += fmt::format("{:02x}", c);
    return out;
}

Digest chainId(const std::vector<Digest>& diffIds, size_t n) {
    Digest c = diffIds.at(0);
    for (size_t i = 1; i <= n && i < diffIds.size(); ++i)
        c = sha256Of(c.str() + " " + diffIds[i].str());
    return c;
}

Ledger::~Ledger() {
    if (done_) return;
    // Undo: layers first (they were made from the blobs), then the blobs.
    for (const auto& l : layers_) (void)svc_.layers().remove(l);
    for (const auto& b : blobs_) (void)svc_.content().remove(b);
}

void Ledger::finish(const std::set<Digest>& keep) {
    done_ = true;
    for (const auto& b : blobs_)
        if (!keep.count(b)) (void)svc_.content().remove(b);
}

Result<Stored> ingestStream(Service& svc, Ledger& ledger, const archive::ReadFn& src,
                            const std::optional<Digest>& expected) {
    auto& cs = svc.content();
    if (expected && cs.has(*expected)) {
        int64_t size = TRY(cs.size(*expected));
        return Stored{*expected, size};
    }
    // A fresh ingest: a resumed one would append this stream to someone's partial data.
    auto key = expected ? expected->str() : uniqueName("transfer");
    auto w = TRY_CTX(cs.ingest(key, false), "ingest {}", key);
    ScopeGuard discard([&w] { w.discard(); });
    Sha256 h;
    std::vector<char> buf(256 << 10);
    int64_t size = 0;
    while (true) {
        size_t n = TRY(src(buf.data(), buf.size()));
        if (n == 0) break;
        if (!expected) h.update(buf.data(), n);
        TRY_CTX(w.write(buf.data(), n), "write ingest {}", key);
        size += static_cast<int64_t>(n);
    }
    Digest d = expected ? *expected : h.finish();
    bool existed = cs.has(d);
    Digest got = TRY(w.commit(d, size));
    discard.cancel();
    if (!existed) ledger.addBlob(got);
    return Stored{got, size};
}

Result<Digest> putBlob(Service& svc, Ledger& ledger, std::string_view data) {
    Digest d = sha256Of(data);
    bool existed = svc.content().has(d);
    TRY(svc.content().put(data, d));
    if (!existed) ledger.addBlob(d);
    return d;
}

Status verifyDiffId(const ContentStore& cs, const Digest& blob, const Digest& diffId) {
    auto raw = TRY(blobReader(cs, blob));
    auto rd = TRY_CTX(decompressingReader(std::move(raw)), "blob {}", blob.str());
    Sha256 h;
    std::vector<char> buf(256 << 10);
    while (true) {
        size_t n = TRY_CTX(rd(buf.data(), buf.size()), "blob {}", blob.str());
        if (n == 0) break;
        h.update(buf.data(), n);
    }
    Digest got = h.finish();
    if (got != diffId)
        return invalid("layer {} does not match its diffID {} (content is {})", blob.str(),
                       diffId.str(), got.str());
    return {};
}

}  // namespace berth::image::transfer
