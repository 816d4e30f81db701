// tmpcopyup: a tmpfs over an image directory starts with that directory's content (podman
// asks for this on --tmpfs mounts). Everything is done through directory fds with
// O_NOFOLLOW, so a symlink in the image is copied as a symlink, never followed.
#include <dirent.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "common/sys.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {

namespace {

Status copyFile(int srcDir, int dstDir, const std::string& name, const struct stat& st,
                const std::string& shown) {
    UniqueFd in = TRY(sys::openat(srcDir, name, O_RDONLY | O_NOFOLLOW));
    UniqueFd out = TRY(sys::openat(dstDir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = ::sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("copy {}", shown);
        }
        if (n == 0) break;  // the file shrank meanwhile
        left -= n;
    }
    return {};
}

Status copyEntry(int src, int dst, const std::string& name, const std::string& shown) {
    struct stat st;
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        return errnoError("stat {}", shown);
    }
    if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(dst, name.c_str(), 0700) < 0) return errnoError("mkdir {}", shown);
        UniqueFd s = TRY(sys::openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        UniqueFd d = TRY(sys::openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        TRY(copyTree(s.get(), d.get(), shown));
    } else if (S_ISREG(st.st_mode)) {
        TRY(copyFile(src, dst, name, st, shown));
    } else if (S_ISLNK(st.st_mode)) {
        std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
        ssize_t n = ::readlinkat(src, name.c_str(), buf.data(), buf.size() - 1);
        if (n < 0) return errnoError("readlink {}", shown);
        buf[static_cast<size_t>(n)] = '\0';
        if (::symlinkat(buf.data(), dst, name.c_str()) < 0) return errnoError("symlink {}", shown);
    } else if (::mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) < 0) {
        return errnoError("mknod {}", shown);
    }
    if (::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
        return errnoError("chown {}", shown);
    }
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) < 0) {
        return errnoError("chmod {}", shown);
    }
    return {};
}

}  // namespace

Status copyTree(int src, int dst, const std::string& shown) {
    int dupFd = ::fcntl(src, F_DUPFD_CLOEXEC, 0);
    if (dupFd < 0) return errnoError("dup {}", shown);
    DIR* d = ::fdopendir(dupFd);
    if (!d) {
        ::close(dupFd);
        return errnoError("opendir {}", shown);
    }
    ::rewinddir(d);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    for (const auto& n : names) TRY(copyEntry(src, dst, n, shown + "/" + n));
    // The tmpfs root takes the covered directory's owner and mode.
    struct stat st;
    if (::fstat(src, &st) < 0) return errnoError("stat {}", shown);
    if (::fchownat(dst, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0) {
        return errnoError("chown {}", shown);
    }
    // dst may be an O_PATH fd, which fchmod refuses; the magic link reaches the inode.
    if (::chmod(sys::fdPath(dst).c_str(), st.st_mode & 07777) < 0) {
        return errnoError("chmod {}", shown);
    }
    return {};
}

}  // namespace berth::rootfs
