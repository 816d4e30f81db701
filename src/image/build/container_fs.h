// A container's root filesystem for a build step or `run`: an image's layers (read-only lowers)
// under a fresh upper dir, mounted at <dir>/rootfs. The top-most lower is a small "init" dir
// holding the runtime's mount points (/proc, /sys, /dev, ...), as docker's -init layer does, so
// that creating them never lands in the upper dir (and so in a committed layer).
// Unmounted and removed on destruction (also on failure paths).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::image::build {

class ContainerFs {
public:
    // dir must not exist (it is created). lowerDirs: top-most first; empty for an image with no
    // layers. readOnly: no upper dir (a source for COPY --from).
    static Result<ContainerFs> create(const std::string& dir,
                                      const std::vector<std::string>& lowerDirs,
                                      bool readOnly = false);
    ContainerFs(ContainerFs&& o) noexcept;
    ContainerFs& operator=(ContainerFs&&) = delete;
    ContainerFs(const ContainerFs&) = delete;
    ~ContainerFs();

    const std::string& dir() const { return dir_; }
    std::string rootfs() const { return dir_ + "/rootfs"; }
    std::string upperDir() const { return dir_ + "/upper"; }
    // An O_DIRECTORY fd of the mounted root (opened on first use).
    Result<int> rootFd();
    // Unmounts now (before a commit reads the upper dir); idempotent.
    Status unmount();
    // True when the upper dir holds nothing (the step changed no file).
    Result<bool> upperEmpty() const;

    // Removes container dirs under parent left by a process that died (their lock is free):
    // removes the container from the runtime (killing what still runs), unmounts the rootfs,
    // removes the dir. Dirs in use by live builds/runs are left alone. A dir's name is the
    // container id, optionally prefixed with "run-".
    static void cleanStale(const std::string& parent, const std::string& runtimeRoot);

private:
    explicit ContainerFs(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
    bool mounted_ = false;
    UniqueFd rootFd_;
    UniqueFd lock_;  // flock()ed while the dir is in use (see cleanStale)
};

}  // namespace berth::image::build
