// Applies tar entries to a directory, one at a time, never touching anything outside it.
// Internal to the archive folder.
#pragma once

#include <time.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "image/archive/internal.h"

struct archive;
struct archive_entry;

namespace berth::image::archive::detail {

class Extractor {
  public:
    static Result<std::unique_ptr<Extractor>> create(const std::string& destDir,
                                                     const UnpackOptions& o);
    // Applies one entry; its data is read from `a`. Errors name the entry.
    Status apply(struct archive* a, struct archive_entry* e);
    // Sets directory modes and times, which creating their content changed.
    Status finish();
    int64_t unpackedSize() const { return unpacked_; }

  private:
    struct Meta {
        uid_t uid;
        gid_t gid;
        mode_t perm;
        struct timespec times[2];  // atime, mtime
    };
    struct DeferredDir {
        std::string rel;
        mode_t perm;
        struct timespec times[2];
    };

    Extractor(SafeRoot root, const UnpackOptions& o);
    Status applyEntry(struct archive* a, struct archive_entry* e, const std::string& rel);
    // O_PATH fd of the directory parentRel, created when missing; the last one is cached
    // (entries come grouped by directory). The fd stays owned by the Extractor.
    Result<int> parentFd(const std::string& parentRel);
    void forgetParent() { cachedFd_.reset(); }

    Status applyFile(struct archive* a, struct archive_entry* e, int pfd, const std::string& leaf,
                     const Meta& m);
    Status applyDir(struct archive_entry* e, int pfd, const std::string& leaf,
                    const std::string& rel, const Meta& m);
    Status applySymlink(struct archive_entry* e, int pfd, const std::string& leaf, const Meta& m);
    Status applyNode(struct archive_entry* e, int pfd, const std::string& leaf, const Meta& m);
    Status applyHardlink(struct archive* a, struct archive_entry* e, const std::string& rel,
                         const char* target);

    // Owner, xattrs, then mode (chown clears setuid bits and file capabilities).
    Status setMetaFd(int fd, struct archive_entry* e, const Meta& m);
    // The same for an entry that has no usable fd (symlinks, devices, fifos).
    Status setMetaAt(int pfd, const std::string& leaf, struct archive_entry* e, const Meta& m,
                     bool chmod);
    Status writeData(struct archive* a, int fd, int64_t size);
    // Makes room for a new entry: whatever is at pfd/leaf goes (tar semantics).
    Status replace(int pfd, const std::string& leaf);

    // whiteout.cpp: ".wh.<name>" and ".wh..wh..opq" entries.
    Status applyWhiteout(const std::string& parentRel, const std::string& leaf, const Meta& m);
    Status applyOpaque(const std::string& parentRel);
    // Flattening: removes from dirRel what this tar did not write.
    Status removeOlder(int dirFd, const std::string& dirRel);
    void noteWritten(const std::string& rel);

    SafeRoot root_;
    bool overlay_;
    bool chown_;
    bool isRoot_;  // euid 0: directories can be filled whatever their mode
    std::string cachedRel_;
    UniqueFd cachedFd_;
    std::vector<DeferredDir> dirs_;
    std::unordered_set<std::string> written_;  // flattening only
    int64_t unpacked_ = 0;
};

}  // namespace berth::image::archive::detail
