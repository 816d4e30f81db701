// Reference grammar after the distribution project's reference package (name components of
// [a-z0-9] separated by '.', '_', '__' or '-'+; a tag of [\w][\w.-]{0,127}), normalised as
// docker does: no domain -> docker.io, a single docker.io component -> library/<name>.
#include "image/reference.h"

#include <regex>

#include "image/digest.h"

namespace berth::image {

namespace {

bool isDomainLike(std::string_view first) {
    return first.find('.') != std::string_view::npos ||
           first.find(':') != std::string_view::npos || first == "localhost";
}

bool validComponent(const std::string& c) {
    static const std::regex re("[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*");
    return std::regex_match(c, re);
}

bool validDomain(const std::string& d) {
    // host (labels of alnum and '-', dot-separated) or [ipv6], optional :port
    static const std::regex re(
        "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
        "|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?");
    return std::regex_match(d, re);
}

bool validTag(const std::string& t) {
    static const std::regex re("[\\w][\\w.-]{0,127}");
    return std::regex_match(t, re);
}

}  // namespace

Result<Reference> Reference::parse(std::string_view input, bool defaultTag) {
    std::string s(input);
    auto bad = [&](std::string_view why) {
        return invalid("invalid reference format: \"{}\"{}{}", input, why.empty() ? "" : ": ",
                       why);
    };
    if (s.empty()) return bad("empty");
    Reference r;
    if (auto at = s.find('@'); at != std::string::npos) {
        auto d = Digest::parse(s.substr(at + 1));
        if (!d) return bad("bad digest");
        r.digest = d->str();
        s.resize(at);
    }
    // A tag is after the last ':' that follows the last '/'.
    auto slash = s.rfind('/');
    auto colon = s.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        r.tag = s.substr(colon + 1);
        s.resize(colon);
        if (!validTag(r.tag)) return bad("bad tag");
    }
    if (s.empty()) return bad("no name");
    auto first = s.substr(0, s.find('/'));
    std::string rest;
    if (s.find('/') != std::string::npos && isDomainLike(first)) {
        r.domain = first;
        rest = s.substr(first.size() + 1);
        if (!validDomain(r.domain)) return bad("bad registry host");
    } else {
        r.domain = std::string(kDefaultDomain);
        rest = s;
    }
    if (r.domain == "index.docker.io") r.domain = std::string(kDefaultDomain);
    if (r.domain == kDefaultDomain && rest.find('/') == std::string::npos) rest = "library/" + rest;
    for (size_t i = 0; i <= rest.size();) {
        auto j = rest.find('/', i);
        if (j == std::string::npos) j = rest.size();
        std::string comp = rest.substr(i, j - i);
        if (comp.empty() || !validComponent(comp)) {
            bool upper = false;
            for (char c : comp) upper |= (c >= 'A' && c <= 'Z');
            return bad(upper ? "repository name must be lowercase" : "");
        }
        i = j + 1;
    }
    if (r.domain.size() + 1 + rest.size() > 255) return bad("name too long");
    r.path = rest;
    if (r.tag.empty() && r.digest.empty() && defaultTag) r.tag = "latest";
    return r;
}

std::string Reference::familiarName() const {
    if (domain != kDefaultDomain) return name();
    constexpr std::string_view kLib = "library/";
    if (path.compare(0, kLib.size(), kLib) == 0 && path.find('/', kLib.size()) == std::string::npos)
        return path.substr(kLib.size());
    return path;
}

std::string Reference::str() const {
    std::string s = name();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

std::string Reference::familiar() const {
    std::string s = familiarName();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

std::string Reference::registryHost() const {
    return domain == kDefaultDomain ? "registry-1.docker.io" : domain;
}

bool looksLikeId(std::string_view s) {
    if (s.substr(0, 7) == "sha256:") s.remove_prefix(7);
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace berth::image
