#include "runtime/state.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/sys.h"

namespace berth::state {

using nlohmann::json;

const char* statusName(ContainerStatus s) {
    switch (s) {
        case ContainerStatus::Creating: return "creating";
        case ContainerStatus::Created: return "created";
        case ContainerStatus::Running: return "running";
        case ContainerStatus::Paused: return "paused";
        case ContainerStatus::Stopped: return "stopped";
    }
    return "unknown";
}

Status validateId(const std::string& id) {
    if (id.empty()) return invalid("container id cannot be empty");
    if (id == "." || id == "..") return invalid("invalid container id \"{}\"", id);
    if (id.size() > 1024) return invalid("container id is too long");
    for (char c : id) {
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' ||
              c == '.')) {
            return invalid("invalid container id \"{}\": only letters, digits, '_', '+', '-' "
                           "and '.' are allowed",
                           id);
        }
    }
    return {};
}

std::string dir(const std::string& root, const std::string& id) { return root + "/" + id; }
std::string fifoPath(const std::string& root, const std::string& id) {
    return dir(root, id) + "/exec.fifo";
}

Result<State> load(const std::string& root, const std::string& id) {
    TRY(validateId(id));
    auto text = sys::readFile(dir(root, id) + "/state.json");
    if (!text) {
        if (text.error().code == ENOENT) {
            return makeError(ENOENT, "container \"{}\" does not exist", id);
        }
        return std::move(text).error().wrap(fmt::format("container \"{}\"", id));
    }
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return invalid("container \"{}\": corrupt state file {}/state.json", id, dir(root, id));
    }
    State s;
    s.ociVersion = j.value("ociVersion", "");
    s.id = j.value("id", id);
    s.pid = j.value("pid", 0);
    s.startTime = j.value("startTime", uint64_t{0});
    s.bundle = j.value("bundle", "");
    s.rootfs = j.value("rootfs", "");
    s.created = j.value("created", "");
    s.owner = j.value("owner", "");
    if (j.contains("annotations") && j["annotations"].is_object()) {
        s.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    }
    std::string mode = j.value("cgroupMode", "v1");
    s.cgroupMode = mode == "v2" ? cgroups::Mode::V2
                   : mode == "hybrid" ? cgroups::Mode::Hybrid
                                      : cgroups::Mode::V1;
    s.cgroupRoot = j.value("cgroupRoot", "/sys/fs/cgroup");
    s.cgroupPath = j.value("cgroupPath", "");
    s.systemdCgroup = j.value("systemdCgroup", false);
    s.execPipeFd = j.value("execPipeFd", -1);
    if (j.contains("namespaces")) s.namespaces = j["namespaces"].get<std::vector<std::string>>();
    return s;
}

Status save(const std::string& root, const State& s) {
    json j = {{"ociVersion", s.ociVersion},
              {"id", s.id},
              {"pid", s.pid},
              {"startTime", s.startTime},
              {"bundle", s.bundle},
              {"rootfs", s.rootfs},
              {"created", s.created},
              {"owner", s.owner},
              {"annotations", s.annotations},
              {"cgroupMode", s.cgroupMode == cgroups::Mode::V2       ? "v2"
                             : s.cgroupMode == cgroups::Mode::Hybrid ? "hybrid"
                                                                     : "v1"},
              {"cgroupRoot", s.cgroupRoot},
              {"cgroupPath", s.cgroupPath},
              {"systemdCgroup", s.systemdCgroup},
              {"execPipeFd", s.execPipeFd},
              {"namespaces", s.namespaces}};
    return sys::writeFileAtomic(dir(root, s.id) + "/state.json", j.dump(), 0600);
}

Result<std::vector<std::string>> listIds(const std::string& root) {
    std::vector<std::string> ids;
    DIR* d = ::opendir(root.c_str());
    if (!d) {
        if (errno == ENOENT) return ids;
        return errnoError("open {}", root);
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == ".." || !validateId(n)) continue;
        if (sys::exists(dir(root, n) + "/state.json")) ids.push_back(n);
    }
    ::closedir(d);
    std::sort(ids.begin(), ids.end());
    return ids;
}

Result<UniqueFd> lock(const std::string& root, const std::string& id) {
    auto fd = sys::open(dir(root, id), O_RDONLY | O_DIRECTORY);
    if (!fd) {
        if (fd.error().code == ENOENT) return makeError(ENOENT, "container \"{}\" does not exist", id);
        return std::move(fd).error();
    }
    while (::flock(fd->get(), LOCK_EX) < 0) {
        if (errno != EINTR) return errnoError("lock {}", dir(root, id));
    }
    return std::move(fd).value();
}

namespace {
// Fields of /proc/<pid>/stat after the ")" that ends comm: [0]=state ... [19]=starttime.
bool readStat(pid_t pid, char* stateOut, uint64_t* startOut) {
    auto text = sys::readFile(fmt::format("/proc/{}/stat", pid));
    if (!text) return false;
    auto p = text->rfind(')');
    if (p == std::string::npos || p + 2 >= text->size()) return false;
    const char* s = text->c_str() + p + 2;
    *stateOut = *s;
    int field = 0;
    for (; *s && field < 19; s++) {
        if (*s == ' ') field++;
    }
    *startOut = strtoull(s, nullptr, 10);
    return true;
}
}  // namespace

uint64_t processStartTime(pid_t pid) {
    char st;
    uint64_t start = 0;
    return readStat(pid, &st, &start) ? start : 0;
}

bool processRunning(pid_t pid, uint64_t startTime) {
    if (pid <= 0) return false;
    char st;
    uint64_t start = 0;
    if (!readStat(pid, &st, &start)) return false;
    if (st == 'Z' || st == 'X') return false;
    return startTime == 0 || start == startTime;
}

ContainerStatus status(const std::string& root, const State& s) {
    if (s.pid <= 0) return ContainerStatus::Creating;
    if (!processRunning(s.pid, s.startTime)) return ContainerStatus::Stopped;
    if (sys::exists(fifoPath(root, s.id))) return ContainerStatus::Created;
    auto mgr = cgroups::open(s.cgroupMode, {s.cgroupRoot, s.cgroupPath, false});
    if (mgr) {
        auto fs = (*mgr)->freezerState();
        if (fs && *fs == cgroups::FreezerState::Frozen) return ContainerStatus::Paused;
    }
    return ContainerStatus::Running;
}

std::string ociJson(const State& s, ContainerStatus st, bool pretty) {
    json j = {{"ociVersion", s.ociVersion},
              {"id", s.id},
              {"pid", st == ContainerStatus::Stopped ? 0 : s.pid},
              {"status", statusName(st)},
              {"bundle", s.bundle},
              {"rootfs", s.rootfs},
              {"created", s.created},
              {"owner", s.owner}};
    if (!s.annotations.empty()) j["annotations"] = s.annotations;
    return pretty ? j.dump(2) : j.dump();
}

std::string nowRfc3339() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);  // strftime would load the local time zone: not needed for UTC
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:09d}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

}  // namespace berth::state
