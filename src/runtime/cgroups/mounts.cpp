// detect() and the mount table: where each v1 controller and the cgroup2 tree are mounted.
#include <dirent.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "common/sys.h"
#include "runtime/cgroups/cgroup.h"

namespace berth::cgroups {

namespace {

constexpr const char* kControllers[] = {"cpu",      "cpuacct",    "cpuset", "memory",  "devices",
                                        "freezer",  "blkio",      "pids",   "hugetlb", "net_cls",
                                        "net_prio", "perf_event", "rdma",   "misc"};

bool knownController(std::string_view n) {
    for (const char* c : kControllers) {
        if (n == c) return true;
    }
    return false;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= s.size()) {
        size_t next = s.find(sep, pos);
        if (next == std::string_view::npos) next = s.size();
        if (next > pos) out.emplace_back(s.substr(pos, next - pos));
        pos = next + 1;
    }
    return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7') {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool under(const std::string& path, const std::string& root) {
    return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                            path[root.size()] == '/');
}

Result<int64_t> realFsMagic(const std::string& path) {
    struct statfs st;
    if (::statfs(path.c_str(), &st) < 0) return errnoError("statfs {}", path);
    return static_cast<int64_t>(st.f_type);
}

}  // namespace

std::vector<ProcCgroup> parseProcCgroups(std::string_view text) {
    std::vector<ProcCgroup> out;
    for (const auto& line : split(text, '\n')) {
        size_t a = line.find(':');
        size_t b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        ProcCgroup c;
        c.controllerList = line.substr(a + 1, b - a - 1);
        c.path = line.substr(b + 1);
        for (auto& x : split(c.controllerList, ',')) c.controllers.insert(x);
        out.push_back(std::move(c));
    }
    return out;
}

const char* modeName(Mode m) {
    switch (m) {
        case Mode::V1:
            return "v1";
        case Mode::V2:
            return "v2";
        case Mode::Hybrid:
            return "hybrid";
    }
    return "?";
}

MountTable parseMountInfo(std::string_view mountinfo, const std::string& root) {
    MountTable t;
    for (const auto& line : split(mountinfo, '\n')) {
        auto f = split(line, ' ');
        // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
        size_t dash = 6;
        while (dash < f.size() && f[dash] != "-") dash++;
        if (f.size() < 5 || dash + 3 >= f.size()) continue;
        std::string mnt = unescape(f[4]);
        const std::string& type = f[dash + 1];
        if (!under(mnt, root)) continue;
        if (type == "cgroup2") {
            if (t.unified.empty() || mnt == root) t.unified = mnt;
        } else if (type == "cgroup") {
            for (const auto& o : split(f[dash + 3], ',')) {
                if (knownController(o) || o.starts_with("name=")) t.v1.emplace(o, mnt);
            }
        }
    }
    return t;
}

Result<MountTable> scanMountTable(const std::string& root) {
    MountTable t;
    if (sys::exists(root + "/cgroup.controllers")) {
        t.unified = root;
        return t;
    }
    DIR* d = ::opendir(root.c_str());
    if (!d) return errnoError("open {}", root);
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        std::string p = root + "/" + n;
        struct stat st;
        if (n == "." || n == ".." || ::lstat(p.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
        if (n == "unified") {
            t.unified = p;
        } else if (n == "systemd") {
            t.v1.emplace("name=systemd", p);
        } else {
            for (const auto& c : split(n, ',')) {
                if (knownController(c)) t.v1.emplace(c, p);
            }
        }
    }
    ::closedir(d);
    return t;
}

Result<MountTable> loadMountTable(const std::string& root) {
    auto text = TRY(sys::readFile("/proc/self/mountinfo"));
    MountTable t = parseMountInfo(text, root);
    if (t.v1.empty() && t.unified.empty()) return scanMountTable(root);
    return t;
}

Result<Mode> detectWith(const std::string& root, const FsMagicFn& fsMagic) {
    auto rootMagic = fsMagic(root);
    if (!rootMagic) return std::move(rootMagic).error().wrap("detect cgroup mode");
    if (*rootMagic == CGROUP2_SUPER_MAGIC) return Mode::V2;
    auto uni = fsMagic(root + "/unified");
    if (uni && *uni == CGROUP2_SUPER_MAGIC) return Mode::Hybrid;
    DIR* d = ::opendir(root.c_str());
    if (!d) return errnoError("detect cgroup mode: open {}", root);
    bool v1 = false;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        auto m = fsMagic(root + "/" + n);
        if (m && *m == CGROUP_SUPER_MAGIC) v1 = true;
    }
    ::closedir(d);
    if (v1) return Mode::V1;
    return makeError(ENOENT, "detect cgroup mode: no cgroup filesystem mounted at or under {}",
                     root);
}

Result<Mode> detect(const std::string& root) {
    return detectWith(root, realFsMagic);
}

}  // namespace berth::cgroups
