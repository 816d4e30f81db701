// cgroupsPath (config.json) -> a path relative to each hierarchy's root.
#include "runtime/cgroups/cgroup.h"

namespace berth::cgroups {

namespace {

// "a-b.slice" -> "a.slice/a-b.slice" (systemd nests slices by their dash-separated prefixes).
Result<std::string> expandSlice(const std::string& slice) {
    const std::string suffix = ".slice";
    if (slice == "-.slice") return std::string();
    if (slice.size() <= suffix.size() || !slice.ends_with(suffix) ||
        slice.find('/') != std::string::npos) {
        return invalid("invalid systemd slice {:?}", slice);
    }
    std::string name = slice.substr(0, slice.size() - suffix.size());
    if (name.front() == '-' || name.back() == '-' || name.find("--") != std::string::npos) {
        return invalid("invalid systemd slice {:?}", slice);
    }
    std::string out, prefix;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t dash = name.find('-', pos);
        if (dash == std::string::npos) dash = name.size();
        prefix = name.substr(0, dash);
        if (!out.empty()) out += "/";
        out += prefix + suffix;
        pos = dash + 1;
    }
    return out;
}

Result<std::string> resolveSystemd(const std::string& p) {
    size_t a = p.find(':');
    size_t b = p.find(':', a + 1);
    if (b == std::string::npos || p.find(':', b + 1) != std::string::npos) {
        return invalid("cgroupsPath {:?}: expected \"slice:prefix:name\"", p);
    }
    std::string slice = p.substr(0, a), prefix = p.substr(a + 1, b - a - 1), name = p.substr(b + 1);
    if (name.empty() || name.find('/') != std::string::npos ||
        prefix.find('/') != std::string::npos) {
        return invalid("cgroupsPath {:?}: expected \"slice:prefix:name\"", p);
    }
    if (name.ends_with(".slice")) return TRY_CTX(expandSlice(name), "cgroupsPath {:?}", p);
    std::string parent =
        TRY_CTX(expandSlice(slice.empty() ? "system.slice" : slice), "cgroupsPath {:?}", p);
    std::string unit = (prefix.empty() ? name : prefix + "-" + name) + ".scope";
    return parent.empty() ? unit : parent + "/" + unit;
}

}  // namespace

Result<std::string> resolvePath(const std::string& cgroupsPath, const std::string& id) {
    if (cgroupsPath.empty()) {
        if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..") {
            return invalid("container id {:?} cannot name a cgroup", id);
        }
        return "berth/" + id;
    }
    if (cgroupsPath.front() != '/' && cgroupsPath.find(':') != std::string::npos) {
        return resolveSystemd(cgroupsPath);
    }
    // A plain path: drop empty and "." components; ".." could climb out of the hierarchy.
    std::string out;
    size_t pos = 0;
    while (pos <= cgroupsPath.size()) {
        size_t next = cgroupsPath.find('/', pos);
        if (next == std::string::npos) next = cgroupsPath.size();
        std::string comp = cgroupsPath.substr(pos, next - pos);
        pos = next + 1;
        if (comp.empty() || comp == ".") continue;
        if (comp == "..") return invalid("cgroupsPath {:?}: \"..\" is not allowed", cgroupsPath);
        if (!out.empty()) out += "/";
        out += comp;
    }
    if (out.empty()) {
        return invalid("cgroupsPath {:?}: the root cgroup cannot hold a container", cgroupsPath);
    }
    return out;
}

}  // namespace berth::cgroups
