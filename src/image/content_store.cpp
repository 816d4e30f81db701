#include "image/content_store.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>

#include "common/sys.h"

namespace berth::image {

namespace {

bool validKey(const std::string& k) {
    if (k.empty() || k.size() > 200 || k[0] == '.') return false;
    for (char c : k)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '_' ||
              c == '-'))
            return false;
    return true;
}

Status fsyncDir(const std::string& dir) {
    auto fd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fsync(fd.get()) < 0) return errnoError("fsync {}", dir);
    return {};
}

std::string randomSuffix() {
    static std::atomic<uint64_t> counter{0};
    std::random_device rd;
    return fmt::format("{:x}-{:x}", rd(), counter++);
}

Result<std::vector<std::string>> listDir(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        return errnoError("open directory {}", dir);
    }
    while (auto* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    closedir(d);
    return out;
}

// Unlinks a temp file unless its path was cleared (renamed into place).
struct ScopeGuardUnlink {
    std::string path;
    ~ScopeGuardUnlink() {
        if (!path.empty()) ::unlink(path.c_str());
    }
};

}  // namespace

struct ContentStore::Writer::Impl {
    ContentStore* store;
    std::string key, path;
    UniqueFd fd;
    Sha256 hash;
    int64_t offset = 0;
    bool done = false;
};

ContentStore::Writer::Writer(std::unique_ptr<Impl> i) : impl_(std::move(i)) {}
ContentStore::Writer::Writer(Writer&&) noexcept = default;
ContentStore::Writer& ContentStore::Writer::operator=(Writer&&) noexcept = default;
ContentStore::Writer::~Writer() = default;  // the fd closes, the flock goes; the file stays

Status ContentStore::Writer::write(const void* data, size_t n) {
    auto* p = static_cast<const char*>(data);
    size_t left = n;
    while (left) {
        ssize_t w = ::write(impl_->fd.get(), p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errnoError("write {}", impl_->path);
        }
        p += w;
        left -= static_cast<size_t>(w);
    }
    impl_->hash.update(data, n);
    impl_->offset += static_cast<int64_t>(n);
    return {};
}

int64_t ContentStore::Writer::offset() const { return impl_->offset; }
const std::string& ContentStore::Writer::path() const { return impl_->path; }

Status ContentStore::Writer::truncate() {
    if (ftruncate(impl_->fd.get(), 0) < 0) return errnoError("truncate {}", impl_->path);
    if (lseek(impl_->fd.get(), 0, SEEK_SET) < 0) return errnoError("seek {}", impl_->path);
    impl_->hash = Sha256();
    impl_->offset = 0;
    return {};
}

void ContentStore::Writer::discard() {
    if (!impl_ || impl_->done) return;
    ::unlink(impl_->path.c_str());
    impl_->done = true;
    impl_->fd.reset();
}

Result<Digest> ContentStore::Writer::commit(const std::optional<Digest>& expected,
                                            std::optional<int64_t> expectedSize) {
    auto& im = *impl_;
    if (im.done) return invalid("commit of {}: already committed or discarded", im.key);
    Digest got = im.hash.finish();
    if (expectedSize && *expectedSize != im.offset) {
        discard();
        return makeError(EBADMSG, "blob {}: size {} does not match the expected {}",
                         expected ? expected->str() : got.str(), im.offset, *expectedSize);
    }
    if (expected && *expected != got) {
        discard();
        return makeError(EBADMSG, "blob digest mismatch: expected {}, got {}", expected->str(),
                         got.str());
    }
    if (fsync(im.fd.get()) < 0) return errnoError("fsync {}", im.path);
    auto dst = im.store->blobPath(got);
    if (im.store->has(got)) {
        ::unlink(im.path.c_str());
    } else if (::rename(im.path.c_str(), dst.c_str()) < 0) {
        return errnoError("rename {} to {}", im.path, dst);
    }
    im.done = true;
    im.fd.reset();
    TRY(fsyncDir(im.store->root_ + "/sha256"));
    return got;
}

Result<std::unique_ptr<ContentStore>> ContentStore::open(const std::string& root) {
    std::string r = root + "/content";
    for (auto d : {r, r + "/sha256", r + "/ingest", r + "/tmp"})
        TRY_CTX(sys::mkdirAll(d, 0700), "content store");
    // Temp files of interrupted writers that cannot be resumed.
    for (auto& n : TRY(listDir(r + "/tmp"))) TRY_CTX(sys::removeAll(r + "/tmp/" + n), "clean up");
    return std::unique_ptr<ContentStore>(new ContentStore(r));
}

ContentStore::ContentStore(std::string root) : root_(std::move(root)) {}

std::string ContentStore::blobPath(const Digest& d) const { return root_ + "/sha256/" + d.hex; }
std::string ContentStore::tmpDir() const { return root_ + "/tmp"; }

bool ContentStore::has(const Digest& d) const {
    struct stat st{};
    return !d.empty() && ::stat(blobPath(d).c_str(), &st) == 0;
}

Result<int64_t> ContentStore::size(const Digest& d) const {
    struct stat st{};
    if (::stat(blobPath(d).c_str(), &st) < 0) return errnoError("blob {}", d.str());
    return static_cast<int64_t>(st.st_size);
}

Result<UniqueFd> ContentStore::openBlob(const Digest& d) const {
    return TRY_CTX(sys::open(blobPath(d), O_RDONLY | O_CLOEXEC), "blob {}", d.str());
}

Result<std::string> ContentStore::readVerified(const Digest& d, int64_t maxSize) const {
    auto fd = TRY(openBlob(d));
    struct stat st{};
    if (fstat(fd.get(), &st) < 0) return errnoError("stat blob {}", d.str());
    if (st.st_size > maxSize)
        return makeError(EFBIG, "blob {} is {} bytes, more than the {} allowed", d.str(),
                         st.st_size, maxSize);
    auto data = TRY_CTX(sys::readFd(fd.get()), "read blob {}", d.str());
    if (sha256Of(data) != d)
        return makeError(EBADMSG, "blob {} is corrupt (its content has another digest)", d.str());
    return data;
}

Result<Digest> ContentStore::put(std::string_view data, const std::optional<Digest>& expected) {
    Digest got = sha256Of(data);
    if (expected && *expected != got)
        return makeError(EBADMSG, "blob digest mismatch: expected {}, got {}", expected->str(),
                         got.str());
    if (has(got)) return got;
    auto tmp = tmpDir() + "/put-" + randomSuffix();
    auto fd = TRY(sys::open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    ScopeGuardUnlink guard{tmp};
    TRY_CTX(sys::writeFd(fd.get(), data), "write {}", tmp);
    if (fsync(fd.get()) < 0) return errnoError("fsync {}", tmp);
    if (::rename(tmp.c_str(), blobPath(got).c_str()) < 0)
        return errnoError("rename {} into the content store", tmp);
    guard.path.clear();
    TRY(fsyncDir(root_ + "/sha256"));
    return got;
}

Status ContentStore::remove(const Digest& d) {
    if (::unlink(blobPath(d).c_str()) < 0 && errno != ENOENT)
        return errnoError("remove blob {}", d.str());
    return {};
}

Result<std::vector<Digest>> ContentStore::list() const {
    std::vector<Digest> out;
    for (auto& n : TRY(listDir(root_ + "/sha256"))) {
        auto d = Digest::parse("sha256:" + n);
        if (d) out.push_back(*d);
    }
    return out;
}

Result<ContentStore::Writer> ContentStore::ingest(const std::string& key, bool resume) {
    if (!validKey(key)) return invalid("invalid ingest key \"{}\"", key);
    auto path = root_ + "/ingest/" + key;
    for (;;) {
        auto fd = TRY(sys::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        while (flock(fd.get(), LOCK_EX) < 0)
            if (errno != EINTR) return errnoError("lock {}", path);
        // The holder before us may have committed (renamed) or discarded the file: then our
        // fd is a stale inode, so start over with the path.
        struct stat a{}, b{};
        if (fstat(fd.get(), &a) < 0) return errnoError("stat {}", path);
        if (::stat(path.c_str(), &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
            continue;
        auto im = std::make_unique<Writer::Impl>();
        im->store = this;
        im->key = key;
        im->path = path;
        if (!resume || a.st_size == 0) {
            if (ftruncate(fd.get(), 0) < 0) return errnoError("truncate {}", path);
        } else {
            // Re-hash what an interrupted writer left, then append.
            std::string buf(1 << 20, '\0');
            for (;;) {
                ssize_t n = ::read(fd.get(), buf.data(), buf.size());
                if (n < 0) {
                    if (errno == EINTR) continue;
                    return errnoError("read {}", path);
                }
                if (n == 0) break;
                im->hash.update(buf.data(), static_cast<size_t>(n));
                im->offset += n;
            }
        }
        if (lseek(fd.get(), 0, SEEK_END) < 0) return errnoError("seek {}", path);
        im->fd = std::move(fd);
        return Writer(std::move(im));
    }
}

Result<int64_t> ContentStore::cleanIngests() {
    int64_t freed = 0;
    for (auto& n : TRY(listDir(root_ + "/ingest"))) {
        auto p = root_ + "/ingest/" + n;
        auto fd = sys::open(p, O_RDONLY | O_CLOEXEC);
        if (!fd) continue;
        if (flock(fd->get(), LOCK_EX | LOCK_NB) < 0) continue;  // somebody is writing it
        struct stat st{};
        if (fstat(fd->get(), &st) == 0) freed += st.st_size;
        ::unlink(p.c_str());
    }
    return freed;
}

}  // namespace berth::image
