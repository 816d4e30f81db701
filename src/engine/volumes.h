// Volumes (local driver: a dir under <root>/volumes/<name>/_data, or a tmpfs/bind mounted
// there from --opt) and a container's mounts: -v, --mount, image VOLUMEs.
#pragma once

#include <vector>

#include "engine/internal.h"

namespace berth::engine {

Status loadVolumes(Engine::Impl& impl);
// HostConfig.Binds/Mounts + Config.Volumes -> c.mounts (MountPoints); creates named and
// anonymous volumes.
Status resolveMounts(Engine::Impl& impl, Container& c);
// The OCI mounts for a start; fills empty volumes from the image's content at their path.
Result<std::vector<Json>> mountsForStart(Engine::Impl& impl, const Container& c,
                                         const std::string& rootfs);
void removeAnonymousVolumes(Engine::Impl& impl, const Container& c);
// Copies a directory tree (modes, owners, times, symlinks) from srcDir into dstDir.
Status copyTree(int srcDirFd, int dstDirFd);

}  // namespace berth::engine
