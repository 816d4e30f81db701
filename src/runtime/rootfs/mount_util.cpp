#include "runtime/rootfs/mount_util.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <sstream>

#include "common/sys.h"

namespace berth::rootfs {

Status remountBind(int fd, unsigned long flags, const std::string& shown) {
    std::string target = sys::fdPath(fd);
    unsigned long f = MS_BIND | MS_REMOUNT | flags;
    if (::mount(nullptr, target.c_str(), nullptr, f, nullptr) == 0) return {};
    if (errno != EPERM) return errnoError("remount {}", shown);
    struct statvfs st;
    if (::fstatvfs(fd, &st) < 0) return errnoError("statvfs {}", shown);
    // ST_* and MS_* share values for these bits.
    unsigned long locked = st.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY);
    if (!(flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))) {
        locked |= st.f_flag & (ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    }
    if (::mount(nullptr, target.c_str(), nullptr, f | locked, nullptr) < 0) {
        return errnoError("remount {} (with locked flags)", shown);
    }
    return {};
}

Status setRecursiveAttrs(int fd, uint64_t set, uint64_t clr, const std::string& shown) {
    struct mount_attr attr = {};
    attr.attr_set = set;
    attr.attr_clr = clr;
    if (::mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
        return errnoError("mount_setattr {}", shown);
    }
    return {};
}

namespace {

std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            int v = 0;
            bool ok = true;
            for (size_t j = 1; j <= 3; ++j) {
                char c = s[i + j];
                if (c < '0' || c > '7') ok = false;
                v = v * 8 + (c - '0');
            }
            if (ok) {
                out += static_cast<char>(v);
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

}  // namespace

Result<std::vector<MountInfo>> readMountInfo() {
    std::string text = TRY(sys::readFile("/proc/self/mountinfo"));
    std::vector<MountInfo> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        MountInfo m;
        std::string dev, field;
        if (!(ls >> m.id >> m.parent >> dev >> m.root >> m.mountPoint >> m.options)) continue;
        while (ls >> field && field != "-") {
            if (!m.optional.empty()) m.optional.push_back(' ');
            m.optional.append(field);
        }
        ls >> m.fsType >> m.source >> m.superOptions;
        m.root = unescape(m.root);
        m.mountPoint = unescape(m.mountPoint);
        m.source = unescape(m.source);
        out.push_back(std::move(m));
    }
    return out;
}

const MountInfo* mountContaining(const std::vector<MountInfo>& mounts, const std::string& path) {
    const MountInfo* best = nullptr;
    for (const auto& m : mounts) {
        const std::string& mp = m.mountPoint;
        bool under = path == mp || mp == "/" ||
                     (path.size() > mp.size() && path.compare(0, mp.size(), mp) == 0 &&
                      path[mp.size()] == '/');
        // Later lines are mounted later, so >= picks the top of a stack.
        if (under && (!best || mp.size() >= best->mountPoint.size())) best = &m;
    }
    return best;
}

Status makeParentMountPrivate(const std::string& rootfs) {
    size_t slash = rootfs.find_last_of('/');
    std::string parent =
        slash == 0 || slash == std::string::npos ? std::string("/") : rootfs.substr(0, slash);
    auto mounts = TRY(readMountInfo());
    const MountInfo* m = mountContaining(mounts, parent);
    if (!m || m->optional.find("shared:") == std::string::npos) return {};
    TRY_CTX(sys::mount("", m->mountPoint, "", MS_PRIVATE), "make parent of rootfs private");
    return {};
}

}  // namespace berth::rootfs
