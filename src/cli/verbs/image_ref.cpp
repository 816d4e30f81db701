#include "cli/verbs/image_ref.h"

namespace berth::cli {

std::string familiarName(std::string_view name) {
    std::string n(name);
    for (std::string_view p : {"docker.io/library/", "index.docker.io/library/"})
        if (n.rfind(p, 0) == 0 && n.find('/', p.size()) == std::string::npos)
            return n.substr(p.size());
    for (std::string_view p : {"docker.io/", "index.docker.io/"})
        if (n.rfind(p, 0) == 0) return n.substr(p.size());
    return n;
}

ImageRef parseImageRef(std::string_view ref) {
    ImageRef r;
    std::string s(ref);
    if (auto at = s.find('@'); at != std::string::npos) {
        r.digest = s.substr(at + 1);
        s.resize(at);
    }
    auto slash = s.rfind('/');
    auto colon = s.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        r.tag = s.substr(colon + 1);
        s.resize(colon);
    }
    r.name = familiarName(s);
    return r;
}

std::string fullRef(std::string_view ref) {
    ImageRef r = parseImageRef(ref);
    std::string name = r.name;
    auto slash = name.find('/');
    std::string first = slash == std::string::npos ? "" : name.substr(0, slash);
    bool hasDomain =
        !first.empty() && (first.find('.') != std::string::npos ||
                           first.find(':') != std::string::npos || first == "localhost");
    if (!hasDomain)
        name = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + name;
    if (!r.digest.empty()) return name + "@" + r.digest;
    return name + ":" + (r.tag.empty() ? "latest" : r.tag);
}

}  // namespace berth::cli

#include "cli/config.h"
#include "cli/ctx.h"

namespace berth::cli {

std::string imageAuthHeader(const Ctx& ctx, std::string_view ref) {
    auto h = ctx.registryAuthHeader(registryOf(ref));
    return h.empty() ? base64UrlEncode("{}") : h;
}

std::string fullName(std::string_view ref) {
    std::string f = fullRef(ref);
    if (auto at = f.find('@'); at != std::string::npos) return f.substr(0, at);
    return f.substr(0, f.rfind(':'));
}

}  // namespace berth::cli
