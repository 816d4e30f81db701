#include "runtime/rootfs/mount_options.h"

#include <sys/mount.h>

#include <algorithm>
#include <array>

namespace berth::rootfs {

namespace {

struct FlagOpt {
    std::string_view name;
    bool clear;  // the option removes the flag ("rw" clears MS_RDONLY)
    unsigned long flag;
};

constexpr std::array kFlagOpts = {
    FlagOpt{"ro", false, MS_RDONLY},
    FlagOpt{"rw", true, MS_RDONLY},
    FlagOpt{"nosuid", false, MS_NOSUID},
    FlagOpt{"suid", true, MS_NOSUID},
    FlagOpt{"nodev", false, MS_NODEV},
    FlagOpt{"dev", true, MS_NODEV},
    FlagOpt{"noexec", false, MS_NOEXEC},
    FlagOpt{"exec", true, MS_NOEXEC},
    FlagOpt{"sync", false, MS_SYNCHRONOUS},
    FlagOpt{"async", true, MS_SYNCHRONOUS},
    FlagOpt{"dirsync", false, MS_DIRSYNC},
    FlagOpt{"remount", false, MS_REMOUNT},
    FlagOpt{"mand", false, MS_MANDLOCK},
    FlagOpt{"nomand", true, MS_MANDLOCK},
    FlagOpt{"noatime", false, MS_NOATIME},
    FlagOpt{"atime", true, MS_NOATIME},
    FlagOpt{"nodiratime", false, MS_NODIRATIME},
    FlagOpt{"diratime", true, MS_NODIRATIME},
    FlagOpt{"relatime", false, MS_RELATIME},
    FlagOpt{"norelatime", true, MS_RELATIME},
    FlagOpt{"strictatime", false, MS_STRICTATIME},
    FlagOpt{"nostrictatime", true, MS_STRICTATIME},
    FlagOpt{"nosymfollow", false, MS_NOSYMFOLLOW},
    FlagOpt{"symfollow", true, MS_NOSYMFOLLOW},
    FlagOpt{"bind", false, MS_BIND},
    FlagOpt{"rbind", false, MS_BIND | MS_REC},
};

struct PropOpt {
    std::string_view name;
    unsigned long flags;
};

constexpr std::array kPropOpts = {
    PropOpt{"private", MS_PRIVATE},       PropOpt{"rprivate", MS_PRIVATE | MS_REC},
    PropOpt{"shared", MS_SHARED},         PropOpt{"rshared", MS_SHARED | MS_REC},
    PropOpt{"slave", MS_SLAVE},           PropOpt{"rslave", MS_SLAVE | MS_REC},
    PropOpt{"unbindable", MS_UNBINDABLE}, PropOpt{"runbindable", MS_UNBINDABLE | MS_REC},
};

// Recursive attributes (mount_setattr with AT_RECURSIVE). Atime modes are one field in the
// kernel: changing it needs MOUNT_ATTR__ATIME in attr_clr and one mode in attr_set.
struct AttrOpt {
    std::string_view name;
    bool clear;
    uint64_t attr;
    bool atime;
};

constexpr std::array kAttrOpts = {
    AttrOpt{"rro", false, MOUNT_ATTR_RDONLY, false},
    AttrOpt{"rrw", true, MOUNT_ATTR_RDONLY, false},
    AttrOpt{"rnosuid", false, MOUNT_ATTR_NOSUID, false},
    AttrOpt{"rsuid", true, MOUNT_ATTR_NOSUID, false},
    AttrOpt{"rnodev", false, MOUNT_ATTR_NODEV, false},
    AttrOpt{"rdev", true, MOUNT_ATTR_NODEV, false},
    AttrOpt{"rnoexec", false, MOUNT_ATTR_NOEXEC, false},
    AttrOpt{"rexec", true, MOUNT_ATTR_NOEXEC, false},
    AttrOpt{"rnodiratime", false, MOUNT_ATTR_NODIRATIME, false},
    AttrOpt{"rdiratime", true, MOUNT_ATTR_NODIRATIME, false},
    AttrOpt{"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW, false},
    AttrOpt{"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW, false},
    AttrOpt{"rnoatime", false, MOUNT_ATTR_NOATIME, true},
    AttrOpt{"ratime", false, MOUNT_ATTR_RELATIME, true},  // kernel default atime handling
    AttrOpt{"rrelatime", false, MOUNT_ATTR_RELATIME, true},
    AttrOpt{"rnorelatime", false, MOUNT_ATTR_STRICTATIME, true},
    AttrOpt{"rstrictatime", false, MOUNT_ATTR_STRICTATIME, true},
    AttrOpt{"rnostrictatime", false, MOUNT_ATTR_RELATIME, true},
};

// Options that are valid in configs but change nothing here (SELinux relabel is done by the
// engine; crun's notmpcopyup is the default).
constexpr std::array<std::string_view, 3> kIgnored = {"z", "Z", "notmpcopyup"};

}  // namespace

bool MountOptions::bind() const {
    return (flags & MS_BIND) != 0;
}

Result<MountOptions> parseMountOptions(const std::vector<std::string>& options) {
    MountOptions out;
    for (const auto& o : options) {
        bool known = false;
        for (const auto& f : kFlagOpts) {
            if (o != f.name) continue;
            out.flags = f.clear ? (out.flags & ~f.flag) : (out.flags | f.flag);
            known = true;
        }
        for (const auto& p : kPropOpts) {
            if (o != p.name) continue;
            out.propagation.push_back(p.flags);
            known = true;
        }
        for (const auto& a : kAttrOpts) {
            if (o != a.name) continue;
            if (a.atime) {
                out.attrClr |= MOUNT_ATTR__ATIME;
                out.attrSet = (out.attrSet & ~uint64_t{MOUNT_ATTR__ATIME}) | a.attr;
            } else if (a.clear) {
                out.attrClr |= a.attr;
                out.attrSet &= ~a.attr;
            } else {
                out.attrSet |= a.attr;
                out.attrClr &= ~a.attr;
            }
            known = true;
        }
        if (known) continue;
        if (o == "tmpcopyup") {
            out.tmpcopyup = true;
        } else if (o == "idmap" || o == "ridmap") {
            return makeError(ENOTSUP, "mount option \"{}\" is not supported", o);
        } else if (std::find(kIgnored.begin(), kIgnored.end(), o) == kIgnored.end()) {
            if (!out.data.empty()) out.data += ',';
            out.data += o;
        }
    }
    return out;
}

Result<unsigned long> propagationFlags(std::string_view name) {
    for (const auto& p : kPropOpts) {
        if (name == p.name) return p.flags;
    }
    return invalid("unknown mount propagation \"{}\"", name);
}

}  // namespace berth::rootfs
