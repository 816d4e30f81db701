// stats, top, diff, export and docker cp: the container's record -> stats.h, top.h, fs_ops.h.
#include <sys/mount.h>

#include <chrono>
#include <thread>

#include "engine/fs_ops.h"
#include "engine/internal.h"
#include "engine/stats.h"
#include "engine/top.h"
#include "image/service.h"
#include "runtime/container.h"

namespace berth::engine {

namespace {

std::vector<MountMap> mountMaps(const Container& c) {
    std::vector<MountMap> out;
    for (const auto& m : c.mounts) {
        if (m.value("Type", "") == "tmpfs") continue;
        out.push_back({m.value("Destination", ""), m.value("Source", ""), !m.value("RW", true)});
    }
    return out;
}

}  // namespace

Result<nlohmann::json> Engine::top(const std::string& idOrName, const std::string& psArgs) {
    auto e = TRY(impl_->find(idOrName));
    std::string id;
    {
        std::lock_guard lk(e->mu);
        if (!e->c.running()) return makeError(EBUSY, "Container {} is not running", e->c.id);
        id = e->c.id;
    }
    auto pids = TRY(runtime::processes(impl_->runtimeGlobals(), id));
    auto out = TRY(topJson(pids, psArgs.empty() ? "-ef" : psArgs));
    return Json::parse(out);
}

Status Engine::stats(const std::string& idOrName, bool stream, bool oneShot,
                     const std::function<bool(const nlohmann::json&)>& sink) {
    auto e = TRY(impl_->find(idOrName));
    std::optional<std::string> prev;
    bool first = true;
    for (;;) {
        StatsSource s;
        bool running;
        {
            std::lock_guard lk(e->mu);
            if (e->removed) return okStatus();
            s.id = e->c.id;
            s.name = "/" + e->c.name;
            s.pid = e->c.state.pid;
            s.cgroupsPath = impl_->cgroupsPath(e->c);
            running = e->c.running();
        }
        Json j;
        if (running) {
            // docker's non-stream stats wait a second to give a CPU delta, unless one-shot.
            if (first && !stream && !oneShot) {
                auto p0 = statsJson(s, std::nullopt);
                if (p0) prev = *p0;
                std::this_thread::sleep_for(std::chrono::seconds(1));
            }
            auto st = statsJson(s, prev);
            if (!st) return std::move(st).error();
            prev = *st;
            j = Json::parse(*st);
        } else {
            // docker answers a stopped container with zeroed stats.
            j = {{"id", s.id},
                 {"name", s.name},
                 {"read", kZeroTime},
                 {"preread", kZeroTime},
                 {"pids_stats", Json::object()},
                 {"blkio_stats", Json::object()},
                 {"cpu_stats", {{"cpu_usage", {{"total_usage", 0}}}, {"system_cpu_usage", 0}}},
                 {"precpu_stats", {{"cpu_usage", {{"total_usage", 0}}}, {"system_cpu_usage", 0}}},
                 {"memory_stats", Json::object()}};
        }
        first = false;
        if (!sink(j)) return okStatus();
        if (!stream || !running) return okStatus();
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

Result<nlohmann::json> Engine::changes(const std::string& idOrName) {
    auto e = TRY(impl_->find(idOrName));
    std::string upper, imageId;
    {
        std::lock_guard lk(e->mu);
        upper = impl_->containerDir(e->c.id) + "/upper";
        imageId = e->c.imageId;
    }
    auto digest = TRY(image::Digest::parse(imageId));
    auto layers = TRY(impl_->images->rootfsLayers(digest));
    auto out = TRY(berth::engine::changes(upper, layers.lowerDirs));
    Json j = Json::parse(out);
    return j.empty() ? Json() : j;
}

Status Engine::exportRootfs(const std::string& idOrName, const WriteFn& out) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    std::string rootfs = impl_->containerDir(e->c.id) + "/rootfs";
    bool mounted = e->c.running();
    if (!mounted) TRY(impl_->prepareRootfs(e->c));
    auto st = berth::engine::exportRootfs(rootfs, out);
    if (!mounted) (void)::umount2(rootfs.c_str(), MNT_DETACH);
    if (st) impl_->publish(e->c, "export");
    return st;
}

Result<nlohmann::json> Engine::pathStat(const std::string& idOrName, const std::string& path) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    std::string rootfs = impl_->containerDir(e->c.id) + "/rootfs";
    bool mounted = e->c.running();
    if (!mounted) TRY(impl_->prepareRootfs(e->c));
    auto r = berth::engine::pathStat(rootfs, mountMaps(e->c), path);
    if (!mounted) (void)::umount2(rootfs.c_str(), MNT_DETACH);
    if (!r) {
        Error err = std::move(r).error();
        if (err.code == ENOENT) err.msg += " in container " + e->c.name;
        return err;
    }
    return Json::parse(*r);
}

Status Engine::getArchive(const std::string& idOrName, const std::string& path,
                          const WriteFn& out) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    std::string rootfs = impl_->containerDir(e->c.id) + "/rootfs";
    bool mounted = e->c.running();
    if (!mounted) TRY(impl_->prepareRootfs(e->c));
    auto st = berth::engine::getArchive(rootfs, mountMaps(e->c), path, out);
    if (!mounted) (void)::umount2(rootfs.c_str(), MNT_DETACH);
    if (!st) {
        Error err = std::move(st).error();
        if (err.code == ENOENT) err.msg += " in container " + e->c.name;
        return err;
    }
    impl_->publish(e->c, "archive-path");
    return okStatus();
}

Status Engine::putArchive(const std::string& idOrName, const std::string& path, const ReadFn& in,
                          bool noOverwriteDirNonDir, bool copyUidGid) {
    auto e = TRY(impl_->find(idOrName));
    std::unique_lock lk(e->mu);
    std::string rootfs = impl_->containerDir(e->c.id) + "/rootfs";
    bool mounted = e->c.running();
    if (!mounted) TRY(impl_->prepareRootfs(e->c));
    PutOptions o;
    o.noOverwriteDirNonDir = noOverwriteDirNonDir;
    o.copyUidGid = copyUidGid;
    o.user = e->c.config.value("User", "");
    o.readOnlyRootfs = e->c.hostConfig.value("ReadonlyRootfs", false);
    auto st = berth::engine::putArchive(rootfs, mountMaps(e->c), path, in, o);
    if (!mounted) (void)::umount2(rootfs.c_str(), MNT_DETACH);
    if (!st) {
        Error err = std::move(st).error();
        if (err.code == ENOENT) err.msg += " in container " + e->c.name;
        return err;
    }
    impl_->publish(e->c, "extract-to-dir");
    return okStatus();
}

}  // namespace berth::engine
