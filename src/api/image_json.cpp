#include "api/image_json.h"

#include <fnmatch.h>

#include <cstdint>

#include "image/reference.h"

namespace berth::api {

using nlohmann::json;

int64_t createdUnix(const std::string& rfc3339) {
    auto ns = parseTimestamp(rfc3339);
    return ns ? *ns / 1000000000 : 0;
}

namespace {

json labelsOf(const image::Image& im) {
    if (im.config.config.labels.empty()) return json::object();
    return im.config.config.labels;
}

std::string parentOf(const image::Image& im) {
    return im.parent;
}

}  // namespace

json imageSummaryJson(const image::Image& im, const Request& r) {
    json j{{"Id", im.id.str()},
           {"ParentId", parentOf(im)},
           {"RepoTags", im.repoTags},
           {"RepoDigests", im.repoDigests},
           {"Created", createdUnix(im.created())},
           {"Size", im.size},
           {"SharedSize", -1},
           {"Labels", labelsOf(im)},
           {"Containers", -1}};
    if (r.versionCmp("1.44") < 0) j["VirtualSize"] = im.size;
    return j;
}

json imageInspectJson(const image::Image& im, const Request& r,
                      const std::vector<std::string>& lowerDirs) {
    auto cfg = json::parse(image::containerConfigJson(im.config.config), nullptr, false);
    if (cfg.is_discarded()) cfg = json::object();
    json layers = json::array();
    for (auto& d : im.config.diffIds) layers.push_back(d.str());
    std::string lower;
    for (auto& l : lowerDirs) lower += (lower.empty() ? "" : ":") + l;
    json j{{"Id", im.id.str()},
           {"RepoTags", im.repoTags},
           {"RepoDigests", im.repoDigests},
           {"Parent", parentOf(im)},
           {"Comment", im.config.comment},
           {"Created", im.created()},
           {"DockerVersion", im.config.dockerVersion},
           {"Author", im.config.author},
           {"Config", cfg},
           {"Architecture", im.config.architecture},
           {"Os", im.config.os},
           {"Size", im.size},
           {"GraphDriver", {{"Name", "overlay2"}, {"Data", {{"LowerDir", lower}}}}},
           {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
           {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
    if (!im.config.variant.empty()) j["Variant"] = im.config.variant;
    if (r.versionCmp("1.44") < 0) j["VirtualSize"] = im.size;
    if (r.versionCmp("1.45") < 0) {
        j["Container"] = "";
        j["ContainerConfig"] = cfg;
    }
    return j;
}

namespace {

bool labelMatch(const image::Image& im, const std::string& want) {
    auto& labels = im.config.config.labels;
    auto eq = want.find('=');
    if (eq == std::string::npos) return labels.count(want) > 0;
    auto it = labels.find(want.substr(0, eq));
    return it != labels.end() && it->second == want.substr(eq + 1);
}

// docker's reference filter: a glob over the familiar name, or name:tag / name@digest.
bool refMatch(const std::string& ref, const std::string& pattern) {
    auto cut = ref.find('@');
    if (cut == std::string::npos) {
        auto colon = ref.rfind(':');
        if (colon != std::string::npos && ref.find('/', colon) == std::string::npos) cut = colon;
    }
    std::string name = cut == std::string::npos ? ref : ref.substr(0, cut);
    return fnmatch(pattern.c_str(), ref.c_str(), 0) == 0 ||
           fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

}  // namespace

Result<std::vector<image::Image>> filterImages(Context& c, std::vector<image::Image> all,
                                               const engine::Filters& f, bool allImages) {
    std::optional<bool> dangling;
    if (auto it = f.find("dangling"); it != f.end()) {
        for (auto& v : it->second) {
            if (v == "true" || v == "1")
                dangling = true;
            else if (v == "false" || v == "0")
                dangling = false;
            else
                return invalid("invalid filter 'dangling={}'", v);
        }
    }
    int64_t before = INT64_MAX, since = INT64_MIN;
    for (const char* key : {"before", "since"}) {
        auto it = f.find(key);
        if (it == f.end()) continue;
        for (auto& ref : it->second) {
            auto im = c.images.get(ref);
            if (!im) return std::move(im).error();
            int64_t t = createdUnix(im->created());
            if (std::string(key) == "before")
                before = std::min(before, t);
            else
                since = std::max(since, t);
        }
    }
    std::vector<image::Image> out;
    for (auto& im : all) {
        bool isDangling = im.repoTags.empty();
        if (dangling && *dangling != isDangling) continue;
        // Without `all`, intermediate build images (untagged with children) are hidden.
        if (!allImages && isDangling && !dangling) {
            bool isParent = false;
            for (auto& o : all)
                if (o.parent == im.id.str()) isParent = true;
            if (isParent) continue;
        }
        int64_t t = createdUnix(im.created());
        if (t >= before || t <= since) {
            if (before != INT64_MAX && t >= before) continue;
            if (since != INT64_MIN && t <= since) continue;
        }
        bool ok = true;
        if (auto it = f.find("label"); it != f.end())
            for (auto& l : it->second) ok = ok && labelMatch(im, l);
        if (auto it = f.find("reference"); it != f.end() && ok) {
            // As docker: only the matching names are listed for the image.
            std::vector<std::string> tags, digests;
            for (auto& t : im.repoTags)
                for (auto& p : it->second)
                    if (refMatch(t, p)) {
                        tags.push_back(t);
                        break;
                    }
            for (auto& d : im.repoDigests)
                for (auto& p : it->second)
                    if (refMatch(d, p)) {
                        digests.push_back(d);
                        break;
                    }
            ok = !tags.empty() || !digests.empty();
            im.repoTags = std::move(tags);
            im.repoDigests = std::move(digests);
        }
        if (ok) out.push_back(std::move(im));
    }
    return out;
}

}  // namespace berth::api
