#include "image/build/cache.h"

#include <dirent.h>
#include <sys/stat.h>

#include "common/sys.h"
#include "image/digest.h"

namespace berth::image::build {

std::string cacheKey(const CacheKeyInput& in) {
    Sha256 h;
    // Length-prefixed fields: no two different inputs hash the same text.
    auto field = [&h](std::string_view s) {
        h.update(fmt::format("{}:", s.size()));
        h.update(s);
    };
    field("berth-build-cache-v1");
    field(in.parentId);
    field(in.createdBy);
    field(containerConfigJson(in.config));
    field(in.author);
    field(in.inputs);
    return h.finish().hex;
}

std::string BuildCache::path(const std::string& key) const {
    return dir_ + "/index/" + key;
}

std::optional<std::string> BuildCache::lookup(const std::string& key) const {
    auto text = sys::readFile(path(key));
    if (!text) return std::nullopt;
    std::string id = *text;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    if (!Digest::parse(id)) return std::nullopt;  // torn or foreign content: a miss
    return id;
}

Status BuildCache::store(const std::string& key, const std::string& imageId) {
    TRY_CTX(sys::mkdirAll(dir_ + "/index", 0700), "build cache");
    TRY_CTX(sys::writeFileAtomic(path(key), imageId + "\n", 0600), "build cache");
    return {};
}

Status BuildCache::remove(const std::string& key) {
    if (::unlink(path(key).c_str()) < 0 && errno != ENOENT) {
        return errnoError("remove build cache entry {}", key);
    }
    return {};
}

Result<BuildCache::Pruned> BuildCache::prune() {
    Pruned out;
    std::string dir = dir_ + "/index";
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        return errnoError("open build cache {}", dir);
    }
    std::vector<std::string> names;
    while (auto* de = ::readdir(d)) {
        std::string n = de->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    for (auto& n : names) {
        struct stat st {};
        uint64_t size = ::lstat(path(n).c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
        TRY(remove(n));
        out.keys.push_back(n);
        out.bytes += size;
    }
    return out;
}

}  // namespace berth::image::build
