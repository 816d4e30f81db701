// Thin syscall wrappers returning Result, behind an interface so tests can inject errnos.
//
// Logic calls the free functions (sys::mount(...)); they go through the active Os instance,
// which a test may replace with sys::ScopedOs.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::sys {

class Os {
public:
    virtual ~Os() = default;
    virtual int open(const char* path, int flags, mode_t mode) = 0;
    virtual int openat(int dirfd, const char* path, int flags, mode_t mode) = 0;
    virtual int mkdirat(int dirfd, const char* path, mode_t mode) = 0;
    virtual int mount(const char* src, const char* dst, const char* type, unsigned long flags,
                      const void* data) = 0;
    virtual int umount2(const char* target, int flags) = 0;
    virtual ssize_t write(int fd, const void* buf, size_t n) = 0;
    virtual ssize_t read(int fd, void* buf, size_t n) = 0;
    virtual int unlinkat(int dirfd, const char* path, int flags) = 0;
};

// The real kernel.
Os& realOs();
// The instance in use (realOs() unless a test swapped it).
Os& os();

// Swaps the Os for the lifetime of the object (tests only).
class ScopedOs {
public:
    explicit ScopedOs(Os& o);
    ~ScopedOs();
    ScopedOs(const ScopedOs&) = delete;
    ScopedOs& operator=(const ScopedOs&) = delete;

private:
    Os* prev_;
};

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> openat(int dirfd, const std::string& path, int flags, mode_t mode = 0);
// openat2 with `resolve` flags (RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS, ...).
Result<UniqueFd> openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                         mode_t mode = 0);
Status mkdirat(int dirfd, const std::string& path, mode_t mode);
Status mkdir(const std::string& path, mode_t mode);
// mkdir -p; existing directories are fine.
Status mkdirAll(const std::string& path, mode_t mode);
Status mount(const std::string& src, const std::string& dst, const std::string& type,
             unsigned long flags, const std::string& data = "");
Status umount2(const std::string& target, int flags);
Status unlinkat(int dirfd, const std::string& path, int flags);
Status rmdir(const std::string& path);
// rm -r of a directory tree; a missing path is fine.
Status removeAll(const std::string& path);

Result<std::string> readFile(const std::string& path);
Result<std::string> readFileAt(int dirfd, const std::string& path);
Result<std::string> readFd(int fd);
Status writeFd(int fd, std::string_view data);
Status writeFile(const std::string& path, std::string_view data, int flags = O_WRONLY | O_TRUNC,
                 mode_t mode = 0644);
Status writeFileAt(int dirfd, const std::string& path, std::string_view data,
                   int flags = O_WRONLY | O_TRUNC, mode_t mode = 0644);
// temp file, fsync, rename: readers see the old or the new content, never a mix.
Status writeFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644);

Result<std::string> readlink(const std::string& path);
bool exists(const std::string& path);
bool isDir(const std::string& path);

// "/proc/self/fd/N" for an fd.
std::string fdPath(int fd);

}  // namespace berth::sys
