// Uncompressed layer tars for save (see layer_tar.h).
#include "image/transfer/layer_tar.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <vector>

#include "common/sys.h"
#include "image/content_store.h"
#include "image/layer_store.h"
#include "image/service.h"
#include "image/transfer/blob_io.h"
#include "image/transfer/tar_reader.h"

namespace berth::image::transfer {

namespace {

// An unlinked file in dir (on the store's filesystem, not /tmp which may be small).
Result<UniqueFd> tempFile(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return UniqueFd(fd);
    std::string tmpl = dir + "/save-XXXXXX";
    fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) return errnoError("create a temp file in {}", dir);
    ::unlink(tmpl.c_str());
    return UniqueFd(fd);
}

Result<LayerTar> rewind(UniqueFd fd, int64_t size) {
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) return errnoError("seek temp file");
    return LayerTar{size, fdReader(std::move(fd))};
}

Result<LayerTar> decompressed(ContentStore& cs, const Digest& blob, const Digest& diffId) {
    auto tmp = TRY(tempFile(cs.tmpDir()));
    auto rd = TRY(decompressingReader(TRY(blobReader(cs, blob))));
    Sha256 h;
    std::vector<char> buf(256 << 10);
    int64_t size = 0;
    while (true) {
        size_t n = TRY_CTX(rd(buf.data(), buf.size()), "decompress {}", blob.str());
        if (n == 0) break;
        h.update(buf.data(), n);
        TRY_CTX(sys::writeFd(tmp.get(), std::string_view(buf.data(), n)), "write temp file");
        size += static_cast<int64_t>(n);
    }
    if (Digest got = h.finish(); got != diffId)
        return invalid("layer {} decompresses to {}, not its diffID {}", blob.str(), got.str(),
                       diffId.str());
    return rewind(std::move(tmp), size);
}

Result<LayerTar> retarred(Service& svc, const Digest& diffId) {
    if (!svc.layers().has(diffId))
        return invalid("layer {} is neither stored nor unpacked", diffId.str());
    auto tmp = TRY(tempFile(svc.content().tmpDir()));
    int64_t size = 0;
    int fd = tmp.get();
    archive::TarOptions o;
    o.fromOverlayUpper = true;
    auto sink = [fd, &size](const void* p, size_t n) -> Status {
        size += static_cast<int64_t>(n);
        return sys::writeFd(fd, std::string_view(static_cast<const char*>(p), n));
    };
    auto r = TRY_CTX(
        archive::writeTar(svc.layers().diffDir(diffId), sink, archive::Compression::None, o),
        "tar layer {}", diffId.str());
    if (r.diffId != diffId)
        return invalid(
            "layer {}: its blob is gone and tarring the unpacked layer again gives "
            "{}",
            diffId.str(), r.diffId.str());
    return rewind(std::move(tmp), size);
}

}  // namespace

Result<LayerTar> layerTar(Service& svc, const Descriptor& blob, const Digest& diffId) {
    auto& cs = svc.content();
    if (!cs.has(blob.digest)) return retarred(svc, diffId);
    auto comp = TRY(blobCompression(cs, blob.digest));
    if (comp == archive::Compression::None && blob.digest == diffId) {
        int64_t size = TRY(cs.size(blob.digest));
        return LayerTar{size, TRY(blobReader(cs, blob.digest))};
    }
    return decompressed(cs, blob.digest, diffId);
}

}  // namespace berth::image::transfer
