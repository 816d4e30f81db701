// config.json mount options ("ro", "nosuid", "rbind", "rro", "mode=755") -> mount(2) flags,
// propagation changes, recursive mount_setattr(2) attributes and the filesystem data string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::rootfs {

struct MountOptions {
    unsigned long flags = 0;                 // MS_* for mount(2), including MS_BIND|MS_REC
    std::vector<unsigned long> propagation;  // MS_SHARED|MS_REC ..., applied after the mount
    uint64_t attrSet = 0, attrClr = 0;       // MOUNT_ATTR_* applied with AT_RECURSIVE
    bool tmpcopyup = false;                  // copy the destination's content into the tmpfs
    std::string data;                        // unknown options, comma-joined ("mode=755")

    bool bind() const;
    bool hasRecursiveAttrs() const { return attrSet != 0 || attrClr != 0; }
};

// Errors name the option for the ones we recognise but cannot honour (idmap).
Result<MountOptions> parseMountOptions(const std::vector<std::string>& options);

// "rslave" -> MS_SLAVE|MS_REC; error for anything that is not a propagation keyword.
Result<unsigned long> propagationFlags(std::string_view name);

}  // namespace berth::rootfs
