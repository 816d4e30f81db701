// A container's root filesystem: an overlay of unpacked layers plus its own upper dir.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace berth::image {

struct OverlaySpec {
    std::vector<std::string> lowerDirs;  // top-most first (as overlayfs lists them)
    std::string upperDir;                // empty: a read-only overlay of the lowers
    std::string workDir;
};

// Mounts the overlay at target (an existing directory). Uses the new mount API (one
// "lowerdir+" per layer, no length limit) when the kernel has it, else the classic option
// string. A single lower with no upper is still an overlay (read-only).
Status mountOverlay(const OverlaySpec& s, const std::string& target);
// The options string for mount(2) / an OCI mount entry ("lowerdir=a:b,upperdir=u,workdir=w").
std::string overlayOptions(const OverlaySpec& s);
// Creates upper and work dirs (0755) under dir: dir/upper, dir/work; returns the spec.
Result<OverlaySpec> prepareRw(const std::string& dir, std::vector<std::string> lowerDirs);
Status unmount(const std::string& target);

}  // namespace berth::image
