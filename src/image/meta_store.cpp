#include "image/meta_store.h"

#include <sys/file.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/sys.h"

namespace berth::image {

using json = nlohmann::json;

namespace {

struct Lock {
    UniqueFd fd;
};

Result<Lock> lockDir(const std::string& dir, int how) {
    auto fd = TRY(sys::open(dir + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    while (flock(fd.get(), how) < 0)
        if (errno != EINTR) return errnoError("lock {}/lock", dir);
    return Lock{std::move(fd)};
}

}  // namespace

Result<MetaStore> MetaStore::open(const std::string& root) {
    auto dir = root + "/image";
    TRY_CTX(sys::mkdirAll(dir, 0700), "image metadata");
    return MetaStore(dir);
}

Result<MetaData> MetaStore::readLocked() const {
    MetaData m;
    auto path = dir_ + "/images.json";
    if (!sys::exists(path)) return m;
    auto text = TRY_CTX(sys::readFile(path), "image metadata");
    try {
        auto j = json::parse(text);
        for (auto& [id, r] : j.at("images").items()) {
            ImageRecord rec;
            rec.manifest = TRY(Digest::parse(r.at("manifest").get<std::string>()));
            rec.parent = r.value("parent", "");
            rec.repoDigests = r.value("repoDigests", std::vector<std::string>{});
            rec.loaded = r.value("loaded", "");
            for (auto& b : r.value("blobs", std::vector<std::string>{}))
                rec.blobs.push_back(TRY(Digest::parse(b)));
            m.images[id] = std::move(rec);
        }
        for (auto& t : j.at("tags")) {
            auto name = t.at(0).get<std::string>();
            m.tags[name] = t.at(1).get<std::string>();
            m.tagOrder.push_back(name);
        }
    } catch (const json::exception& e) {
        return invalid("image metadata {} is corrupt: {}", path, e.what());
    }
    return m;
}

Result<MetaData> MetaStore::read() const {
    auto l = TRY(lockDir(dir_, LOCK_SH));
    return readLocked();
}

Status MetaStore::update(const std::function<Status(MetaData&)>& f) {
    auto l = TRY(lockDir(dir_, LOCK_EX));
    auto m = TRY(readLocked());
    TRY(f(m));
    json images = json::object();
    for (auto& [id, r] : m.images) {
        json blobs = json::array();
        for (auto& b : r.blobs) blobs.push_back(b.str());
        images[id] = {{"manifest", r.manifest.str()}, {"parent", r.parent},
                      {"repoDigests", r.repoDigests}, {"blobs", blobs}, {"loaded", r.loaded}};
    }
    json tags = json::array();
    std::erase_if(m.tagOrder, [&](const std::string& n) { return !m.tags.count(n); });
    std::set<std::string> seen;
    for (auto& n : m.tagOrder)
        if (seen.insert(n).second) tags.push_back({n, m.tags[n]});
    for (auto& [n, id] : m.tags)
        if (!seen.count(n)) tags.push_back({n, id});
    json j = {{"images", images}, {"tags", tags}};
    TRY_CTX(sys::writeFileAtomic(dir_ + "/images.json", j.dump(), 0600), "image metadata");
    return {};
}

}  // namespace berth::image
