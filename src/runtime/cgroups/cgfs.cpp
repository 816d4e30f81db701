#include "runtime/cgroups/cgfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <thread>

#include "common/sys.h"
#include "common/unique_fd.h"

namespace berth::cgroups::cgfs {

namespace {

Result<UniqueFd> openIn(const std::string& dir, const std::string& file, int flags) {
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
        return invalid("cgroup file name {:?} under {}", file, dir);
    }
    // Through sys::os() so tests can record the exact sequence of writes.
    int dfd = sys::os().open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dfd < 0) return errnoError("open {}", dir);
    UniqueFd d(dfd);
    int fd = sys::os().openat(d.get(), file.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) return errnoError("open {}/{}", dir, file);
    return UniqueFd(fd);
}

}  // namespace

Status write(const std::string& dir, const std::string& file, std::string_view value) {
    auto fd = openIn(dir, file, O_WRONLY | O_TRUNC);
    if (!fd) return makeError(fd.error().code, "write {} to {}/{}", value, dir, file);
    // One write() call: cgroup files parse each write as one value.
    ssize_t n;
    do {
        n = sys::os().write(fd->get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errnoError("write {} to {}/{}", value, dir, file);
    if (static_cast<size_t>(n) != value.size()) {
        return makeError(EIO, "write {} to {}/{}: short write", value, dir, file);
    }
    return {};
}

Result<std::string> read(const std::string& dir, const std::string& file) {
    auto fd = openIn(dir, file, O_RDONLY);
    if (!fd) return makeError(fd.error().code, "read {}/{}", dir, file);
    auto s = sys::readFd(fd->get());
    if (!s) return makeError(s.error().code, "read {}/{}", dir, file);
    return std::move(s).value();
}

Result<std::string> readTrimmed(const std::string& dir, const std::string& file) {
    return trim(TRY(read(dir, file)));
}

bool exists(const std::string& dir, const std::string& file) {
    struct stat st;
    return ::fstatat(AT_FDCWD, (dir + "/" + file).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return std::string(s);
}

std::map<std::string, uint64_t> parseKeyValues(std::string_view text) {
    std::map<std::string, uint64_t> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        size_t sp = line.find(' ');
        if (sp == std::string_view::npos) continue;
        std::string_view v = line.substr(sp + 1);
        uint64_t n = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc()) continue;
        out[std::string(line.substr(0, sp))] = n;
    }
    return out;
}

std::map<std::string, uint64_t> readKeyValues(const std::string& dir, const std::string& file) {
    auto s = read(dir, file);
    if (!s) return {};
    return parseKeyValues(*s);
}

Result<uint64_t> readUint(const std::string& dir, const std::string& file) {
    std::string s = TRY(readTrimmed(dir, file));
    if (s == "max") return uint64_t{0};
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size()) {
        return invalid("{}/{}: expected a number, got {:?}", dir, file, s);
    }
    return n;
}

std::string limitString(int64_t v) {
    return v < 0 ? "max" : std::to_string(v);
}

Status mkdirOne(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
        return errnoError("create cgroup {}", dir);
    }
    return {};
}

std::vector<pid_t> parsePids(std::string_view text) {
    std::vector<pid_t> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        pid_t p = 0;
        auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), p);
        if (ec == std::errc() && p > 0) out.push_back(p);
    }
    return out;
}

namespace {

std::vector<std::string> childDirs(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        if (e->d_type == DT_DIR) out.push_back(dir + "/" + n);
    }
    ::closedir(d);
    return out;
}

Status collectProcs(const std::string& dir, std::vector<pid_t>& out) {
    auto text = read(dir, "cgroup.procs");
    if (!text) {
        if (text.error().code == ENOENT) return {};  // the cgroup vanished under us
        return std::move(text).error();
    }
    for (pid_t p : parsePids(*text)) out.push_back(p);
    for (const auto& c : childDirs(dir)) TRY(collectProcs(c, out));
    return {};
}

}  // namespace

Result<std::vector<pid_t>> readProcsRecursive(const std::string& dir) {
    std::vector<pid_t> out;
    TRY(collectProcs(dir, out));
    return out;
}

bool pollFor(int timeoutMs, const std::function<bool()>& fn) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        if (fn()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

Status removeCgroup(const std::string& dir) {
    for (const auto& c : childDirs(dir)) TRY(removeCgroup(c));
    int err = 0;
    pollFor(1000, [&] {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
            err = 0;
            return true;
        }
        err = errno;
        return err != EBUSY;  // only EBUSY is worth waiting for
    });
    if (err != 0) return makeError(err, "remove cgroup {}", dir);
    return {};
}

}  // namespace berth::cgroups::cgfs
