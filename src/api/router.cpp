#include "api/context.h"

namespace berth::api {

namespace {

std::vector<std::string> splitPath(const std::string& p) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < p.size()) {
        if (p[i] == '/') {
            i++;
            continue;
        }
        auto j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        out.push_back(p.substr(i, j - i));
        i = j;
    }
    return out;
}

// Pattern segments against path segments from index pi/si; `{*}` takes one or more segments,
// longest first (image names hold slashes; the fixed suffix decides).
bool matchFrom(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& segs,
               size_t si, std::vector<std::string>& caps) {
    if (pi == pat.size()) return si == segs.size();
    const auto& p = pat[pi];
    if (p == "{*}") {
        size_t rest = pat.size() - pi - 1;
        if (segs.size() < si + 1 + rest) return false;
        for (size_t end = segs.size() - rest; end > si; end--) {
            std::string joined;
            for (size_t k = si; k < end; k++) joined += (k > si ? "/" : "") + segs[k];
            caps.push_back(joined);
            if (matchFrom(pat, pi + 1, segs, end, caps)) return true;
            caps.pop_back();
        }
        return false;
    }
    if (si >= segs.size()) return false;
    if (p == "{}") {
        caps.push_back(segs[si]);
        if (matchFrom(pat, pi + 1, segs, si + 1, caps)) return true;
        caps.pop_back();
        return false;
    }
    return p == segs[si] && matchFrom(pat, pi + 1, segs, si + 1, caps);
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Handler h) {
    routes_.push_back(Route{method, splitPath(pattern), std::move(h)});
}

const Route* Router::match(const std::string& method, const std::string& path,
                           std::vector<std::string>& params, bool& pathKnown) const {
    auto segs = splitPath(path);
    pathKnown = false;
    for (const auto& r : routes_) {
        std::vector<std::string> caps;
        if (!matchFrom(r.segments, 0, segs, 0, caps)) continue;
        // HEAD is served by GET routes unless one is registered for it.
        if (r.method == method || (method == "HEAD" && r.method == "GET")) {
            if (method == "HEAD" && r.method == "GET") {
                bool exact = false;
                for (const auto& o : routes_) {
                    std::vector<std::string> c2;
                    if (o.method == "HEAD" && matchFrom(o.segments, 0, segs, 0, c2)) exact = true;
                }
                if (exact) continue;
            }
            params = std::move(caps);
            return &r;
        }
        pathKnown = true;
    }
    return nullptr;
}

}  // namespace berth::api
