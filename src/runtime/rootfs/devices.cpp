// /dev in the container: the default devices, linux.devices, the usual symlinks and an empty
// /dev/console for the console code to bind the pty slave over. Nodes are made relative to
// directory fds resolved inside the rootfs, and chmod/chown act on an O_PATH fd of the node
// just made, so a symlink planted in the image cannot redirect them to the host.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <array>

#include "common/sys.h"
#include "runtime/rootfs/safe_path.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {

namespace {

spec::Device charDev(const char* path, int64_t major, int64_t minor) {
    spec::Device d;
    d.type = "c";
    d.path = path;
    d.major = major;
    d.minor = minor;
    d.fileMode = 0666;
    d.uid = 0;
    d.gid = 0;
    return d;
}

Result<mode_t> nodeType(const std::string& t) {
    if (t == "c" || t == "u") return mode_t{S_IFCHR};
    if (t == "b") return mode_t{S_IFBLK};
    if (t == "p") return mode_t{S_IFIFO};
    return invalid("unknown device type \"{}\"", t);
}

Status symlinkIn(int dirfd, const char* target, const char* name) {
    if (::symlinkat(target, dirfd, name) < 0 && errno != EEXIST) {
        return errnoError("symlink /dev/{} -> {}", name, target);
    }
    return {};
}

}  // namespace

Status createDevice(int rootfd, const spec::Device& d, bool bindHost) {
    std::string clean = cleanRelative(d.path);
    size_t slash = clean.find_last_of('/');
    std::string name = slash == std::string::npos ? clean : clean.substr(slash + 1);
    std::string dir = slash == std::string::npos ? "" : clean.substr(0, slash);
    if (name.empty()) return invalid("device path \"{}\" has no file name", d.path);
    mode_t type = TRY_CTX(nodeType(d.type), "device {}", d.path);
    mode_t perm = d.fileMode.value_or(0666) & 07777;
    std::string shown = "/" + clean;

    UniqueFd parent = TRY(mkdirAllInRoot(rootfd, dir, Kind::Dir));
    // Replace whatever the image or the defaults put there (never a directory).
    if (::unlinkat(parent.get(), name.c_str(), 0) < 0 && errno != ENOENT) {
        return errnoError("remove {}", shown);
    }
    bool bind = bindHost && type != S_IFIFO;  // mknod of devices is refused in a user ns
    mode_t node = bind ? mode_t{S_IFREG} : type;
    dev_t rdev = bind ? 0 : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    if (::mknodat(parent.get(), name.c_str(), node | perm, rdev) < 0) {
        return errnoError("mknod {}", shown);
    }
    UniqueFd fd = TRY(sys::openat(parent.get(), name, O_PATH | O_NOFOLLOW));
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return errnoError("stat {}", shown);
    if ((st.st_mode & S_IFMT) != node) return makeError(EEXIST, "{} was replaced", shown);
    if (bind) {
        UniqueFd src = TRY(sys::open(d.path, O_PATH));
        TRY_CTX(sys::mount(sys::fdPath(src.get()), sys::fdPath(fd.get()), "", MS_BIND),
                "bind host device {}", d.path);
        return {};
    }
    if (::chmod(sys::fdPath(fd.get()).c_str(), perm) < 0) return errnoError("chmod {}", shown);
    if (::fchownat(fd.get(), "", d.uid.value_or(0), d.gid.value_or(0), AT_EMPTY_PATH) < 0) {
        return errnoError("chown {}", shown);
    }
    return {};
}

Status setupDev(int rootfd, const spec::Spec& s, const Options& o) {
    const std::array defaults = {
        charDev("/dev/null", 1, 3),   charDev("/dev/zero", 1, 5),    charDev("/dev/full", 1, 7),
        charDev("/dev/random", 1, 8), charDev("/dev/urandom", 1, 9), charDev("/dev/tty", 5, 0),
    };
    for (const auto& d : defaults) TRY(createDevice(rootfd, d, o.inUserNs));
    if (s.linux) {
        for (size_t i = 0; i < s.linux->devices.size(); ++i) {
            TRY_CTX(createDevice(rootfd, s.linux->devices[i], o.inUserNs), "linux.devices[{}]", i);
        }
    }
    UniqueFd dev = TRY(mkdirAllInRoot(rootfd, "/dev", Kind::Dir));
    TRY(symlinkIn(dev.get(), "/proc/self/fd", "fd"));
    TRY(symlinkIn(dev.get(), "/proc/self/fd/0", "stdin"));
    TRY(symlinkIn(dev.get(), "/proc/self/fd/1", "stdout"));
    TRY(symlinkIn(dev.get(), "/proc/self/fd/2", "stderr"));
    if (sys::exists("/proc/kcore")) TRY(symlinkIn(dev.get(), "/proc/kcore", "core"));
    // The devpts instance mounted at /dev/pts (newinstance) provides the container's ptmx.
    if (::unlinkat(dev.get(), "ptmx", 0) < 0 && errno != ENOENT) {
        return errnoError("remove /dev/ptmx");
    }
    TRY(symlinkIn(dev.get(), "pts/ptmx", "ptmx"));
    if (::mknodat(dev.get(), "console", S_IFREG | 0666, 0) < 0 && errno != EEXIST) {
        return errnoError("create /dev/console");
    }
    return {};
}

}  // namespace berth::rootfs
