// rootfs::prepare: propagation, the rootfs bind mount and the config mounts.
#include <sys/mount.h>
#include <sys/stat.h>

#include "common/sys.h"
#include "runtime/rootfs.h"
#include "runtime/rootfs/mount_util.h"
#include "runtime/rootfs/safe_path.h"
#include "runtime/rootfs/steps.h"

namespace berth::rootfs {

namespace {

constexpr unsigned long kPropagationBits = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

// Flags left for a remount after the bind itself (the bind ignores all but MS_REC).
unsigned long remountFlags(unsigned long flags) {
    return flags & ~(MS_BIND | MS_REC | MS_REMOUNT | kPropagationBits);
}

// Both return the destination's fd from before the mount.
Result<UniqueFd> bindMount(int rootfd, const spec::Mount& m, const MountOptions& mo) {
    // The source is the host's (the engine or user chose it); open it once and use that fd for
    // both the type check and the mount.
    UniqueFd src = TRY(sys::open(m.source, O_PATH));
    struct stat st;
    if (::fstat(src.get(), &st) < 0) return errnoError("stat {}", m.source);
    Kind kind = S_ISDIR(st.st_mode) ? Kind::Dir : Kind::File;
    UniqueFd dst = TRY(mkdirAllInRoot(rootfd, m.destination, kind));
    TRY_CTX(sys::mount(sys::fdPath(src.get()), sys::fdPath(dst.get()), "",
                       MS_BIND | (mo.flags & MS_REC)),
            "bind");
    unsigned long rf = remountFlags(mo.flags);
    if (rf != 0) {
        UniqueFd top = TRY(reopenMounted(rootfd, m.destination, dst.get()));
        TRY(remountBind(top.get(), rf, m.destination));
    }
    return dst;
}

Result<UniqueFd> fsMount(int rootfd, const spec::Mount& m, const MountOptions& mo) {
    UniqueFd dst = TRY(mkdirAllInRoot(rootfd, m.destination, Kind::Dir));
    unsigned long flags = mo.flags & ~(MS_BIND | MS_REC | kPropagationBits);
    UniqueFd before;
    if (mo.tmpcopyup) {
        if (m.type != "tmpfs") return invalid("tmpcopyup needs a tmpfs mount, not {}", m.type);
        // Kept open: after the tmpfs covers the directory, this fd still reads the old content.
        before = TRY(sys::openat(dst.get(), ".", O_RDONLY | O_DIRECTORY));
        flags &= ~static_cast<unsigned long>(MS_RDONLY);  // made read-only after the copy
    }
    std::string source = m.source.empty() ? m.type : m.source;
    TRY(sys::mount(source, sys::fdPath(dst.get()), m.type, flags, mo.data));
    if (mo.tmpcopyup) {
        UniqueFd top = TRY(reopenMounted(rootfd, m.destination, dst.get()));
        TRY(copyTree(before.get(), top.get(), m.destination));
        if (mo.flags & MS_RDONLY) {
            TRY(remountBind(top.get(), remountFlags(mo.flags), m.destination));
        }
    }
    return dst;
}

}  // namespace

Status mountEntry(int rootfd, const spec::Mount& m, const Options& o) {
    if (m.destination.empty()) return invalid("mount destination is empty");
    if (!m.uidMappings.empty() || !m.gidMappings.empty()) {
        return makeError(ENOTSUP, "idmapped mounts are not supported");
    }
    MountOptions mo = TRY(parseMountOptions(m.options));
    if (m.type == "cgroup") return mountCgroup(rootfd, m, mo, o);
    if (m.type == "bind") mo.flags |= MS_BIND;
    // The pre-mount fd lets reopenMounted confirm that later steps act on the new mount.
    UniqueFd before = mo.bind() ? TRY(bindMount(rootfd, m, mo)) : TRY(fsMount(rootfd, m, mo));
    if (mo.propagation.empty() && !mo.hasRecursiveAttrs()) return {};
    // A plain remount changes an existing mount: `before` already is its root.
    UniqueFd top = (mo.flags & MS_REMOUNT) && !mo.bind()
                       ? std::move(before)
                       : TRY(reopenMounted(rootfd, m.destination, before.get()));
    for (unsigned long p : mo.propagation) {
        TRY_CTX(sys::mount("", sys::fdPath(top.get()), "", p), "set propagation");
    }
    if (mo.hasRecursiveAttrs()) {
        TRY(setRecursiveAttrs(top.get(), mo.attrSet, mo.attrClr, m.destination));
    }
    return {};
}

Status prepare(const spec::Spec& s, const Options& o) {
    if (o.rootfs.empty() || o.rootfs[0] != '/') {
        return invalid("rootfs path \"{}\" is not absolute", o.rootfs);
    }
    // Slave by default: host mounts still reach us, nothing we do reaches the host.
    unsigned long prop = MS_SLAVE | MS_REC;
    if (s.linux && !s.linux->rootfsPropagation.empty()) {
        prop = TRY_CTX(propagationFlags(s.linux->rootfsPropagation), "linux.rootfsPropagation");
    }
    TRY_CTX(sys::mount("", "/", "", prop), "set propagation of /");
    TRY(makeParentMountPrivate(o.rootfs));
    TRY_CTX(sys::mount(o.rootfs, o.rootfs, "", MS_BIND | MS_REC), "bind rootfs onto itself");
    UniqueFd root = TRY_CTX(sys::open(o.rootfs, O_PATH | O_DIRECTORY), "open rootfs");

    bool devIsBound = false;
    for (size_t i = 0; i < s.mounts.size(); ++i) {
        const auto& m = s.mounts[i];
        TRY_CTX(mountEntry(root.get(), m, o), "mounts[{}]: mount {} on {}", i,
                m.source.empty() ? m.type : m.source, m.destination);
        if (cleanRelative(m.destination) == "dev") {
            auto mo = parseMountOptions(m.options);
            devIsBound = m.type == "bind" || (mo && mo->bind());
        }
    }
    // A bind-mounted /dev is the user's own (e.g. the host's): leave it alone, like runc.
    if (!devIsBound) TRY_CTX(setupDev(root.get(), s, o), "set up /dev in {}", o.rootfs);
    return {};
}

}  // namespace berth::rootfs
