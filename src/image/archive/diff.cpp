// diffUpper: `docker diff` from an overlay upper dir. "Before" is the merged view of the lower
// dirs (looked up as overlayfs does: first hit wins, whiteouts and opaque dirs hide what is
// below); "after" adds the upper dir on top. Only paths the upper dir touches can differ.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "common/sys.h"
#include "image/archive/internal.h"

namespace berth::image::archive {

namespace {

using namespace detail;

// name as the lower layers show it.
struct LowerHit {
    bool visible = false;
    struct stat st {};
    std::vector<UniqueFd> dirs;  // for a directory: every lower dir merged into it, top first
};

Result<LowerHit> lookupLower(const std::vector<int>& lowers, const std::string& name) {
    LowerHit h;
    for (int l : lowers) {
        struct stat st;
        if (!TRY(lstatAt(l, name, st))) continue;
        if (isWhiteoutDevice(st)) break;  // deleted in that layer: nothing below counts
        if (!h.visible) {
            h.visible = true;
            h.st = st;
        }
        if (!S_ISDIR(st.st_mode) || !S_ISDIR(h.st.st_mode)) break;  // no merging past it
        UniqueFd d(::openat(l, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) return errnoError("open lower {}", name);
        bool opaque = isOpaqueDir(d.get());
        h.dirs.push_back(std::move(d));
        if (opaque) break;
    }
    return h;
}

bool metaDiffers(const struct stat& a, const struct stat& b) {
    return a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid ||
           a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec;
}

class Differ {
  public:
    explicit Differ(std::vector<Change>& out) : out_(out) {}

    // Walks the upper directory uFd (at path, "" for the root) against the lower dirs merged
    // there. Returns whether a direct child was added or deleted: that makes the directory
    // itself changed, as docker reports it.
    Result<bool> walk(int uFd, const std::string& path, const std::vector<int>& lowers,
                      bool opaque) {
        auto names = TRY_CTX(listDir(uFd), "list {}", path.empty() ? "/" : path);
        bool addedOrDeleted = false;
        for (const auto& name : names) {
            std::string p = path + "/" + name;
            struct stat st;
            if (!TRY_CTX(lstatAt(uFd, name, st), "{}", p)) continue;
            auto hit = TRY_CTX(lookupLower(lowers, name), "{}", p);
            if (isWhiteoutDevice(st)) {
                out_.push_back({'D', p});
                addedOrDeleted = true;
                continue;
            }
            bool dir = S_ISDIR(st.st_mode);
            bool merged = dir && hit.visible && S_ISDIR(hit.st.st_mode);
            if (!dir) {
                out_.push_back({hit.visible ? 'C' : 'A', p});
                addedOrDeleted = addedOrDeleted || !hit.visible;
                continue;
            }
            UniqueFd d(
                ::openat(uFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!d) return errnoError("open {}", p);
            std::vector<int> sub;
            if (merged)
                for (const auto& f : hit.dirs) sub.push_back(f.get());
            bool childChanged = TRY(walk(d.get(), p, sub, isOpaqueDir(d.get())));
            if (!hit.visible) {
                out_.push_back({'A', p});
                addedOrDeleted = true;
            } else if (!merged || childChanged || metaDiffers(st, hit.st)) {
                out_.push_back({'C', p});
            }
        }
        if (opaque) addedOrDeleted = TRY(hiddenByOpaque(path, names, lowers)) || addedOrDeleted;
        return addedOrDeleted;
    }

  private:
    // An opaque upper dir hides everything of the lowers that it does not have itself.
    Result<bool> hiddenByOpaque(const std::string& path, const std::vector<std::string>& upper,
                                const std::vector<int>& lowers) {
        std::set<std::string> have(upper.begin(), upper.end());
        std::set<std::string> seen;
        bool any = false;
        for (int l : lowers) {
            auto names = TRY_CTX(listDir(l), "list lower {}", path);
            for (const auto& n : names) {
                if (have.contains(n) || !seen.insert(n).second) continue;
                if (!TRY(lookupLower(lowers, n)).visible) continue;
                out_.push_back({'D', path + "/" + n});
                any = true;
            }
        }
        return any;
    }

    std::vector<Change>& out_;
};

}  // namespace

Result<std::vector<Change>> diffUpper(const std::string& upperDir,
                                      const std::vector<std::string>& lowerDirs) {
    auto upper = TRY_CTX(sys::open(upperDir, O_RDONLY | O_DIRECTORY), "diff");
    std::vector<UniqueFd> lowerFds;
    std::vector<int> lowers;
    for (const auto& l : lowerDirs) {
        lowerFds.push_back(TRY_CTX(sys::open(l, O_RDONLY | O_DIRECTORY), "diff"));
        lowers.push_back(lowerFds.back().get());
    }
    std::vector<Change> out;
    Differ d(out);
    TRY_CTX(d.walk(upper.get(), "", lowers, false), "diff {}", upperDir);
    std::sort(out.begin(), out.end(),
              [](const Change& a, const Change& b) { return a.path < b.path; });
    return out;
}

}  // namespace berth::image::archive
