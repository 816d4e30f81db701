#include "image/layer_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <random>

#include "common/scope_guard.h"
#include "common/sys.h"

namespace berth::image {

namespace {

Result<std::vector<std::string>> entries(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    if (!d) return errnoError("open directory {}", dir);
    while (auto* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    closedir(d);
    return out;
}

// tmp-<pid>-<rand>: a directory being unpacked by process <pid>.
bool ownerAlive(const std::string& name) {
    auto a = name.find('-');
    auto b = name.find('-', a + 1);
    if (a == std::string::npos || b == std::string::npos) return false;
    pid_t pid = static_cast<pid_t>(std::strtol(name.substr(a + 1, b - a - 1).c_str(), nullptr, 10));
    return pid > 0 && pid != getpid() && (::kill(pid, 0) == 0 || errno == EPERM);
}

std::string tmpName() {
    static std::atomic<uint64_t> n{0};
    std::random_device rd;
    return fmt::format("tmp-{}-{:x}{:x}", getpid(), rd(), n++);
}

thread_local int64_t g_walkSize = 0;
int addSize(const char*, const struct stat* st, int type, FTW*) {
    if (type == FTW_F && S_ISREG(st->st_mode)) g_walkSize += st->st_size;
    return 0;
}

}  // namespace

Result<std::unique_ptr<LayerStore>> LayerStore::open(const std::string& root) {
    std::string r = root + "/layers";
    TRY_CTX(sys::mkdirAll(r + "/empty", 0700), "layer store");
    for (auto& n : TRY(entries(r)))
        if (n.rfind("tmp-", 0) == 0 && !ownerAlive(n))
            TRY_CTX(sys::removeAll(r + "/" + n), "clean up interrupted unpack");
    return std::unique_ptr<LayerStore>(new LayerStore(r));
}

LayerStore::LayerStore(std::string root) : root_(std::move(root)) {}

std::string LayerStore::diffDir(const Digest& d) const { return root_ + "/" + d.hex + "/diff"; }
std::string LayerStore::emptyDir() const { return root_ + "/empty"; }
std::string LayerStore::tmpDir() const { return root_ + "/" + tmpName(); }

bool LayerStore::has(const Digest& d) const {
    struct stat st{};
    return !d.empty() && ::stat((root_ + "/" + d.hex + "/size").c_str(), &st) == 0;
}

Result<LayerInfo> LayerStore::info(const Digest& d) const {
    auto sz = TRY_CTX(sys::readFile(root_ + "/" + d.hex + "/size"), "layer {}", d.str());
    return LayerInfo{d, std::strtoll(sz.c_str(), nullptr, 10), diffDir(d)};
}

Result<LayerInfo> LayerStore::create(const archive::ReadFn& src,
                                     const std::optional<Digest>& expected,
                                     const archive::UnpackOptions& o) {
    std::string key = expected ? expected->hex : "";
    if (expected) {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] { return !inflight_.count(key); });
        if (has(*expected)) return info(*expected);
        inflight_.insert(key);
    }
    ScopeGuard release([&] {
        if (key.empty()) return;
        std::lock_guard l(mu_);
        inflight_.erase(key);
        cv_.notify_all();
    });
    auto tmp = tmpDir();
    TRY_CTX(sys::mkdir(tmp, 0700), "layer store");
    ScopeGuard cleanup([&] { (void)sys::removeAll(tmp); });
    TRY_CTX(sys::mkdir(tmp + "/diff", 0755), "layer store");
    auto res = TRY(archive::unpackLayer(src, tmp + "/diff", o));
    if (expected && res.diffId != *expected)
        return makeError(EBADMSG, "layer diffID mismatch: expected {}, got {}", expected->str(),
                         res.diffId.str());
    TRY(sys::writeFile(tmp + "/size", std::to_string(res.unpackedSize),
                       O_WRONLY | O_CREAT | O_TRUNC, 0600));
    return adoptTmp(tmp, res.diffId, res.unpackedSize, cleanup);
}

Result<LayerInfo> LayerStore::adopt(const std::string& dir, const Digest& diffId) {
    g_walkSize = 0;
    if (nftw(dir.c_str(), addSize, 32, FTW_PHYS) < 0) return errnoError("walk {}", dir);
    auto tmp = tmpDir();
    TRY_CTX(sys::mkdir(tmp, 0700), "layer store");
    ScopeGuard cleanup([&] { (void)sys::removeAll(tmp); });
    if (::rename(dir.c_str(), (tmp + "/diff").c_str()) < 0)
        return errnoError("move {} into the layer store", dir);
    TRY(sys::writeFile(tmp + "/size", std::to_string(g_walkSize), O_WRONLY | O_CREAT | O_TRUNC,
                       0600));
    return adoptTmp(tmp, diffId, g_walkSize, cleanup);
}

template <typename G>
Result<LayerInfo> LayerStore::adoptTmp(const std::string& tmp, const Digest& d, int64_t size,
                                       G& cleanup) {
    auto dst = root_ + "/" + d.hex;
    if (::rename(tmp.c_str(), dst.c_str()) < 0) {
        // Another process unpacked the same layer first: keep theirs.
        if ((errno == ENOTEMPTY || errno == EEXIST) && has(d)) return info(d);
        return errnoError("rename {} to {}", tmp, dst);
    }
    cleanup.cancel();
    auto dfd = TRY(sys::open(root_, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fsync(dfd.get()) < 0) return errnoError("fsync {}", root_);
    return LayerInfo{d, size, diffDir(d)};
}

Status LayerStore::remove(const Digest& d) {
    auto dir = root_ + "/" + d.hex;
    auto tmp = tmpDir();
    // Renamed away first so that has() is false at once, even if the removal is interrupted.
    if (::rename(dir.c_str(), tmp.c_str()) < 0) {
        if (errno == ENOENT) return {};
        return errnoError("remove layer {}", d.str());
    }
    TRY_CTX(sys::removeAll(tmp), "remove layer {}", d.str());
    return {};
}

Result<std::vector<LayerInfo>> LayerStore::list() const {
    std::vector<LayerInfo> out;
    for (auto& n : TRY(entries(root_))) {
        auto d = Digest::parse("sha256:" + n);
        if (!d || !has(*d)) continue;
        auto i = info(*d);
        if (i) out.push_back(*i);
    }
    return out;
}

}  // namespace berth::image
