#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "common/log.h"
#include "common/sys.h"
#include "engine/fs_ops.h"

namespace berth::engine {

namespace {

std::string volumeDir(const Engine::Impl& impl, const std::string& name) {
    return impl.opts.root + "/volumes/" + name;
}

bool validVolumeName(const std::string& n) {
    if (n.size() < 2 && n.size() != 1) return false;
    if (!std::isalnum(static_cast<unsigned char>(n[0]))) return false;
    for (char ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-')
            return false;
    return true;
}

Json mountPoint(const std::string& type, const std::string& name, const std::string& source,
                const std::string& dest, bool rw, const std::string& mode,
                const std::string& propagation) {
    Json m = {{"Type", type}, {"Source", source}, {"Destination", dest},
              {"Mode", mode}, {"RW", rw},         {"Propagation", propagation}};
    if (type == "volume") {
        m["Name"] = name;
        m["Driver"] = "local";
    }
    return m;
}

bool isMountpoint(const std::string& path) {
    struct stat a, b;
    if (::stat(path.c_str(), &a) != 0) return false;
    if (::stat((path + "/..").c_str(), &b) != 0) return false;
    return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

// Mounts a volume's --opt (type/device/o) on its _data dir, once.
Status mountVolumeOpts(const Json& vol) {
    const Json o = vol.value("Options", Json::object());
    if (!o.is_object() || o.empty()) return okStatus();
    std::string type = o.value("type", ""), device = o.value("device", ""), opt = o.value("o", "");
    std::string target = vol.value("Mountpoint", "");
    if (isMountpoint(target)) return okStatus();
    unsigned long flags = 0;
    std::string data;
    // "bind" in o means a bind mount of device.
    std::string rest;
    size_t i = 0;
    while (i <= opt.size() && !opt.empty()) {
        size_t e = opt.find(',', i);
        std::string part = opt.substr(i, e == std::string::npos ? std::string::npos : e - i);
        if (part == "bind")
            flags |= MS_BIND;
        else if (part == "rbind")
            flags |= MS_BIND | MS_REC;
        else if (part == "ro")
            flags |= MS_RDONLY;
        else if (!part.empty())
            rest += (rest.empty() ? "" : ",") + part;
        if (e == std::string::npos) break;
        i = e + 1;
    }
    if (type == "none" && !(flags & MS_BIND)) flags |= MS_BIND;
    TRY_CTX(sys::mount(device, target, (flags & MS_BIND) ? "" : type, flags, rest),
            "mount volume {}", vol.value("Name", ""));
    return okStatus();
}

}  // namespace

Status loadVolumes(Engine::Impl& impl) {
    auto rows = TRY(impl.store->all("volumes"));
    std::lock_guard lk(impl.mu);
    for (const auto& [name, rec] : rows) {
        Json j = Json::parse(rec, nullptr, false);
        if (j.is_discarded()) continue;
        impl.volumes[name] = j;
    }
    return okStatus();
}

Result<Json> Engine::Impl::ensureVolume(const std::string& name, const Json& labels,
                                        bool anonymous) {
    {
        std::lock_guard lk(mu);
        if (auto it = volumes.find(name); it != volumes.end()) return it->second;
    }
    if (!validVolumeName(name))
        return invalid(
            "create {}: \"{}\" includes invalid characters for a local volume name, only "
            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
            "directory, use absolute path",
            name, name);
    std::string dir = volumeDir(*this, name);
    TRY(sys::mkdirAll(dir + "/_data", 0755));
    Json v = {{"Name", name},
              {"Driver", "local"},
              {"Mountpoint", dir + "/_data"},
              {"CreatedAt", nowRfc3339Nano().substr(0, 19) + "Z"},
              {"Labels", labels.is_object() ? labels : Json::object()},
              {"Scope", "local"},
              {"Options", Json::object()},
              {"Anonymous", anonymous}};
    if (anonymous) v["Labels"]["com.docker.volume.anonymous"] = "";
    TRY(store->put("volumes", name, name, v.dump()));
    std::lock_guard lk(mu);
    volumes[name] = v;
    Event ev;
    ev.type = "volume";
    ev.action = "create";
    ev.id = name;
    ev.attributes = {{"driver", "local"}};
    events.publish(ev);
    return v;
}

Status resolveMounts(Engine::Impl& impl, Container& c) {
    Json mounts = Json::array();
    std::set<std::string> dests;
    auto add = [&](Json m) -> Status {
        std::string d = m["Destination"].get<std::string>();
        if (d.empty() || d[0] != '/')
            return invalid("invalid mount config: mount path must be absolute: {}", d);
        while (d.size() > 1 && d.back() == '/') d.pop_back();
        m["Destination"] = d;
        if (!dests.insert(d).second) return invalid("Duplicate mount point: {}", d);
        mounts.push_back(std::move(m));
        return okStatus();
    };
    const Json& hc = c.hostConfig;
    for (const auto& b : hc.value("Binds", Json::array())) {
        std::string spec = b.get<std::string>();
        std::vector<std::string> parts;
        size_t i = 0;
        while (true) {
            size_t e = spec.find(':', i);
            parts.push_back(spec.substr(i, e == std::string::npos ? std::string::npos : e - i));
            if (e == std::string::npos) break;
            i = e + 1;
        }
        if (parts.size() < 2 || parts.size() > 3)
            return invalid("invalid volume specification: '{}'", spec);
        std::string src = parts[0], dst = parts[1], opts = parts.size() == 3 ? parts[2] : "";
        bool rw = true, copy = true;
        std::string prop, mode = opts;
        size_t k = 0;
        while (!opts.empty() && k <= opts.size()) {
            size_t e = opts.find(',', k);
            std::string o = opts.substr(k, e == std::string::npos ? std::string::npos : e - k);
            if (o == "ro")
                rw = false;
            else if (o == "rw" || o == "z" || o == "Z") {
            } else if (o == "nocopy")
                copy = false;
            else if (o == "shared" || o == "rshared" || o == "slave" || o == "rslave" ||
                     o == "private" || o == "rprivate")
                prop = o;
            else
                return invalid("invalid mode: {}", o);
            if (e == std::string::npos) break;
            k = e + 1;
        }
        if (!src.empty() && src[0] == '/') {
            // -v creates a missing host directory, as docker does.
            if (!sys::exists(src)) TRY_CTX(sys::mkdirAll(src, 0755), "create bind source {}", src);
            Json m = mountPoint("bind", "", src, dst, rw, mode, prop.empty() ? "rprivate" : prop);
            TRY(add(m));
        } else {
            auto v = TRY(impl.ensureVolume(src, Json::object(), false));
            Json m =
                mountPoint("volume", src, v["Mountpoint"], dst, rw, mode.empty() ? "z" : mode, "");
            m["Copy"] = copy;
            TRY(add(m));
        }
    }
    for (const auto& mt : hc.value("Mounts", Json::array())) {
        std::string type = mt.value("Type", "");
        std::string src = mt.value("Source", ""), dst = mt.value("Target", "");
        bool rw = !mt.value("ReadOnly", false);
        if (type == "bind") {
            if (src.empty() || src[0] != '/')
                return invalid(
                    "invalid mount config for type \"bind\": invalid mount path: '{}' mount path "
                    "must be absolute",
                    src);
            if (!sys::exists(src))
                return invalid(
                    "invalid mount config for type \"bind\": bind source path does not exist: {}",
                    src);
            std::string prop =
                mt.value("BindOptions", Json::object()).value("Propagation", "rprivate");
            TRY(add(mountPoint("bind", "", src, dst, rw, "", prop)));
        } else if (type == "volume") {
            bool anonymous = src.empty();
            std::string name = anonymous ? randomHexId() : src;
            const Json vo = mt.value("VolumeOptions", Json::object());
            auto v = TRY(impl.ensureVolume(name, vo.value("Labels", Json::object()), anonymous));
            Json m = mountPoint("volume", name, v["Mountpoint"], dst, rw, "z", "");
            m["Copy"] = !vo.value("NoCopy", false);
            TRY(add(m));
        } else if (type == "tmpfs") {
            Json m = mountPoint("tmpfs", "", "", dst, rw, "", "");
            const Json to = mt.value("TmpfsOptions", Json::object());
            m["TmpfsSize"] = to.value("SizeBytes", int64_t{0});
            m["TmpfsMode"] = to.value("Mode", 0);
            TRY(add(m));
        } else {
            return invalid("invalid mount config: mount type unknown: \"{}\"", type);
        }
    }
    const Json vols = c.config.value("Volumes", Json::object());
    if (vols.is_object()) {
        for (auto& [dst, v] : vols.items()) {
            std::string d = dst;
            while (d.size() > 1 && d.back() == '/') d.pop_back();
            if (dests.count(d)) continue;
            std::string name = randomHexId();
            auto vol = TRY(impl.ensureVolume(name, Json::object(), true));
            Json m = mountPoint("volume", name, vol["Mountpoint"], d, true, "", "");
            m["Copy"] = true;
            TRY(add(m));
        }
    }
    c.mounts = mounts;
    return okStatus();
}

Status copyTree(int srcDirFd, int dstDirFd) {
    int dupFd = ::dup(srcDirFd);
    if (dupFd < 0) return errnoError("dup");
    DIR* d = ::fdopendir(dupFd);
    if (!d) {
        ::close(dupFd);
        return errnoError("opendir");
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
    while (dirent* de = ::readdir(d)) {
        std::string n = de->d_name;
        if (n == "." || n == "..") continue;
        struct stat st;
        if (::fstatat(srcDirFd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return errnoError("stat {}", n);
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(dstDirFd, n.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST)
                return errnoError("mkdir {}", n);
            auto s = TRY(sys::openat(srcDirFd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            auto t = TRY(sys::openat(dstDirFd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            TRY_CTX(copyTree(s.get(), t.get()), "{}", n);
            (void)::fchown(t.get(), st.st_uid, st.st_gid);
            (void)::fchmod(t.get(), st.st_mode & 07777);
        } else if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            ssize_t len = ::readlinkat(srcDirFd, n.c_str(), buf, sizeof buf - 1);
            if (len < 0) return errnoError("readlink {}", n);
            buf[len] = 0;
            if (::symlinkat(buf, dstDirFd, n.c_str()) != 0 && errno != EEXIST)
                return errnoError("symlink {}", n);
            (void)::fchownat(dstDirFd, n.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        } else if (S_ISREG(st.st_mode)) {
            auto s = TRY(sys::openat(srcDirFd, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            auto t =
                TRY(sys::openat(dstDirFd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                st.st_mode & 07777));
            char buf[65536];
            for (;;) {
                ssize_t r = ::read(s.get(), buf, sizeof buf);
                if (r < 0) return errnoError("read {}", n);
                if (r == 0) break;
                TRY(sys::writeFd(t.get(), std::string_view(buf, static_cast<size_t>(r))));
            }
            (void)::fchown(t.get(), st.st_uid, st.st_gid);
            (void)::fchmod(t.get(), st.st_mode & 07777);
        } else {
            if (::mknodat(dstDirFd, n.c_str(), st.st_mode, st.st_rdev) != 0 && errno != EEXIST)
                return errnoError("mknod {}", n);
            (void)::fchownat(dstDirFd, n.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        }
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        (void)::utimensat(dstDirFd, n.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
    return okStatus();
}

Result<std::vector<Json>> mountsForStart(Engine::Impl& impl, const Container& c,
                                         const std::string& rootfs) {
    std::vector<Json> out;
    for (const auto& m : c.mounts) {
        std::string type = m.value("Type", "");
        std::string dst = m.value("Destination", "");
        bool rw = m.value("RW", true);
        if (type == "tmpfs") {
            std::vector<std::string> o = {"nosuid", "nodev", "noexec"};
            if (!rw) o.push_back("ro");
            if (m.value("TmpfsSize", int64_t{0}) > 0)
                o.push_back("size=" + std::to_string(m["TmpfsSize"].get<int64_t>()));
            if (m.value("TmpfsMode", 0) > 0)
                o.push_back(fmt::format("mode={:o}", m["TmpfsMode"].get<int>()));
            out.push_back(
                {{"destination", dst}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", o}});
            continue;
        }
        std::string src = m.value("Source", "");
        if (type == "volume") {
            Json vol;
            {
                std::lock_guard lk(impl.mu);
                auto it = impl.volumes.find(m.value("Name", ""));
                if (it == impl.volumes.end())
                    return makeError(ENOENT, "volume {} not found", m.value("Name", ""));
                vol = it->second;
            }
            TRY(mountVolumeOpts(vol));
            src = vol.value("Mountpoint", src);
            // docker: an empty volume is filled from the image's content at its path, once.
            if (m.value("Copy", false)) {
                auto dstFd = TRY(sys::open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                bool empty = true;
                if (auto dd = std::filesystem::directory_iterator(src);
                    dd != std::filesystem::directory_iterator())
                    empty = false;
                if (empty) {
                    auto rootFd = TRY(sys::open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC));
                    auto srcFd = sys::openat2(rootFd.get(), dst.substr(1),
                                              O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
                    if (srcFd) {
                        TRY_CTX(copyTree(srcFd->get(), dstFd.get()),
                                "copy image content to volume {}", m.value("Name", ""));
                        struct stat st;
                        if (::fstat(srcFd->get(), &st) == 0) {
                            (void)::fchown(dstFd.get(), st.st_uid, st.st_gid);
                            (void)::fchmod(dstFd.get(), st.st_mode & 07777);
                        }
                    }
                }
            }
        }
        std::string prop = m.value("Propagation", "");
        if (prop.empty()) prop = "rprivate";
        out.push_back({{"destination", dst},
                       {"type", "bind"},
                       {"source", src},
                       {"options", {"rbind", rw ? "rw" : "ro", prop}}});
    }
    return out;
}

void removeAnonymousVolumes(Engine::Impl& impl, const Container& c) {
    for (const auto& m : c.mounts) {
        if (m.value("Type", "") != "volume") continue;
        std::string name = m.value("Name", "");
        bool anonymous = false;
        {
            std::lock_guard lk(impl.mu);
            auto it = impl.volumes.find(name);
            if (it == impl.volumes.end()) continue;
            anonymous = it->second.value("Anonymous", false);
        }
        if (!anonymous) continue;
        std::string dir = volumeDir(impl, name);
        (void)::umount2((dir + "/_data").c_str(), MNT_DETACH);
        if (auto st = sys::removeAll(dir); !st) {
            log::warn("remove volume {}: {}", name, st.error().str());
            continue;
        }
        (void)impl.store->remove("volumes", name);
        std::lock_guard lk(impl.mu);
        impl.volumes.erase(name);
    }
}

void Engine::Impl::volumeUsers(std::map<std::string, int>& out) const {
    std::lock_guard lk(mu);
    for (const auto& [id, e] : byId)
        for (const auto& m : e->c.mounts)
            if (m.value("Type", "") == "volume") out[m.value("Name", "")]++;
}

// --- the volume API ------------------------------------------------------------------------

namespace {

Json publicVolume(Json v) {
    v.erase("Anonymous");
    if (v["Options"].is_object() && v["Options"].empty()) v["Options"] = Json();
    return v;
}

bool volumeMatches(const Json& v, const Filters& f, int users) {
    for (const auto& [k, vals] : f) {
        if (vals.empty()) continue;
        // Every label filter must match (docker's MatchKVList); the others: any value.
        bool ok = k == "label";
        for (const auto& val : vals) {
            if (k == "name")
                ok |= filterMatch(val, v.value("Name", ""));
            else if (k == "driver")
                ok |= val == "local";
            else if (k == "dangling")
                ok |= (val == "true" || val == "1") == (users == 0);
            else if (k == "label") {
                auto eq = val.find('=');
                const Json l = v.value("Labels", Json::object());
                std::string key = val.substr(0, eq);
                ok = ok && l.contains(key) &&
                     (eq == std::string::npos || l[key] == val.substr(eq + 1));
            } else if (k == "all")
                ok = true;
        }
        if (!ok) return false;
    }
    return true;
}

}  // namespace

Result<nlohmann::json> Engine::volumeCreate(const nlohmann::json& body) {
    auto& I = *impl_;
    std::string name = body.value("Name", "");
    std::string driver = body.value("Driver", "local");
    if (driver != "local" && !driver.empty())
        return makeError(ENOENT, "error looking up volume plugin {}: plugin \"{}\" not found",
                         driver, driver);
    bool anonymous = name.empty();
    if (anonymous) name = randomHexId();
    {
        std::lock_guard lk(I.mu);
        if (auto it = I.volumes.find(name); it != I.volumes.end()) return publicVolume(it->second);
    }
    auto v = TRY(I.ensureVolume(name, body.value("Labels", Json::object()), false));
    const Json opts = body.value("DriverOpts", Json::object());
    if (opts.is_object() && !opts.empty()) {
        for (auto& [k, val] : opts.items())
            if (k != "type" && k != "device" && k != "o")
                return invalid("invalid option key: \"{}\"", k);
        v["Options"] = opts;
        TRY(I.store->put("volumes", name, name, v.dump()));
        std::lock_guard lk(I.mu);
        I.volumes[name] = v;
    }
    return publicVolume(v);
}

Result<nlohmann::json> Engine::volumeInspect(const std::string& name) const {
    std::lock_guard lk(impl_->mu);
    auto it = impl_->volumes.find(name);
    if (it == impl_->volumes.end()) return makeError(ENOENT, "get {}: no such volume", name);
    return publicVolume(it->second);
}

Result<nlohmann::json> Engine::volumeList(const Filters& f) const {
    for (const auto& [k, v] : f)
        if (k != "name" && k != "driver" && k != "dangling" && k != "label")
            return invalid("invalid filter '{}'", k);
    std::map<std::string, int> users;
    impl_->volumeUsers(users);
    Json list = Json::array();
    std::lock_guard lk(impl_->mu);
    for (const auto& [name, v] : impl_->volumes)
        if (volumeMatches(v, f, users[name])) list.push_back(publicVolume(v));
    return Json{{"Volumes", list}, {"Warnings", Json()}};
}

Status Engine::volumeRemove(const std::string& name, bool force) {
    auto& I = *impl_;
    std::map<std::string, int> users;
    I.volumeUsers(users);
    {
        std::lock_guard lk(I.mu);
        if (!I.volumes.count(name)) {
            if (force) return okStatus();
            return makeError(ENOENT, "get {}: no such volume", name);
        }
    }
    if (users[name] > 0) {
        std::string user;
        std::lock_guard lk(I.mu);
        for (const auto& [id, e] : I.byId)
            for (const auto& m : e->c.mounts)
                if (m.value("Name", "") == name) user = id;
        return makeError(EBUSY, "remove {}: volume is in use - [{}]", name, user);
    }
    std::string dir = volumeDir(I, name);
    (void)::umount2((dir + "/_data").c_str(), MNT_DETACH);
    TRY_CTX(sys::removeAll(dir), "remove {}", name);
    TRY(I.store->remove("volumes", name));
    {
        std::lock_guard lk(I.mu);
        I.volumes.erase(name);
    }
    Event ev;
    ev.type = "volume";
    ev.action = "destroy";
    ev.id = name;
    ev.attributes = {{"driver", "local"}};
    I.events.publish(ev);
    return okStatus();
}

Result<nlohmann::json> Engine::volumePrune(const Filters& f) {
    auto& I = *impl_;
    std::map<std::string, int> users;
    I.volumeUsers(users);
    bool all = false;
    Filters rest;
    for (const auto& [k, v] : f) {
        if (k == "all") {
            for (const auto& x : v) all |= x == "true" || x == "1";
        } else if (k == "label" || k == "label!") {
            rest[k] = v;
        } else {
            return invalid("invalid filter '{}'", k);
        }
    }
    std::vector<std::pair<std::string, Json>> cands;
    {
        std::lock_guard lk(I.mu);
        for (const auto& [name, v] : I.volumes) cands.emplace_back(name, v);
    }
    Json deleted = Json::array();
    int64_t reclaimed = 0;
    for (const auto& [name, v] : cands) {
        if (users[name] > 0) continue;
        // docker 23+: prune removes only anonymous volumes unless all=true.
        if (!all && !v.value("Anonymous", false)) continue;
        if (!volumeMatches(v, rest.count("label") ? Filters{{"label", rest["label"]}} : Filters{},
                           0))
            continue;
        int64_t sz = layerSize(v.value("Mountpoint", ""));
        if (volumeRemove(name, false)) {
            deleted.push_back(name);
            reclaimed += sz;
        }
    }
    return Json{{"VolumesDeleted", deleted}, {"SpaceReclaimed", reclaimed}};
}

Result<nlohmann::json> Engine::diskUsageVolumes() const {
    std::map<std::string, int> users;
    impl_->volumeUsers(users);
    std::vector<Json> vols;
    {
        std::lock_guard lk(impl_->mu);
        for (const auto& [name, v] : impl_->volumes) vols.push_back(v);
    }
    Json out = Json::array();
    for (auto& v : vols) {
        std::string name = v.value("Name", "");
        Json pv = publicVolume(v);
        pv["UsageData"] = {{"Size", layerSize(v.value("Mountpoint", ""))},
                           {"RefCount", users[name]}};
        out.push_back(pv);
    }
    return out;
}

}  // namespace berth::engine
