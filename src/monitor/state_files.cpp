#include "monitor/state_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cstdlib>

#include "common/sys.h"
#include "monitor/protocol.h"

namespace berth::monitor::files {

Status writeAtomicAt(int dirFd, const char* name, std::string_view data) {
    std::string tmp = fmt::format(".{}.tmp", name);
    UniqueFd fd(::openat(dirFd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return errnoError("create {}", tmp);
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("write {}", tmp);
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) < 0) return errnoError("fsync {}", tmp);
    if (::renameat(dirFd, tmp.c_str(), dirFd, name) < 0) return errnoError("rename {}", name);
    return {};
}

Status writeState(int dirFd, const StateRecord& s) {
    return writeAtomicAt(dirFd, proto::kStateFile,
                         fmt::format("{} {} {}\n", s.monitorPid, s.pid, s.startedAtNs));
}

Status writeExit(int dirFd, const ExitStatus& e) {
    return writeAtomicAt(
        dirFd, proto::kExitFile,
        fmt::format("{} {} {}\n{}", e.exitCode, e.finishedAtNs, e.oomKilled ? 1 : 0, e.error));
}

namespace {

Result<std::optional<std::string>> readIfExists(const std::string& path) {
    auto text = sys::readFile(path);
    if (!text) {
        if (text.error().code == ENOENT) return std::optional<std::string>();
        return std::move(text).error();
    }
    return std::optional<std::string>(std::move(*text));
}

}  // namespace

Result<std::optional<StateRecord>> readState(const std::string& dir) {
    auto text = TRY(readIfExists(dir + "/" + proto::kStateFile));
    if (!text) return std::optional<StateRecord>();
    StateRecord s;
    long long m = 0, p = 0, t = 0;
    if (std::sscanf(text->c_str(), "%lld %lld %lld", &m, &p, &t) != 3) {
        return makeError(EINVAL, "{}/{}: malformed", dir, proto::kStateFile);
    }
    s.monitorPid = static_cast<pid_t>(m);
    s.pid = static_cast<pid_t>(p);
    s.startedAtNs = t;
    return std::optional<StateRecord>(s);
}

Result<std::optional<ExitStatus>> readExit(const std::string& dir) {
    auto text = TRY(readIfExists(dir + "/" + proto::kExitFile));
    if (!text) return std::optional<ExitStatus>();
    ExitStatus e;
    long long code = 0, t = 0;
    int oom = 0;
    if (std::sscanf(text->c_str(), "%lld %lld %d", &code, &t, &oom) != 3) {
        return makeError(EINVAL, "{}/{}: malformed", dir, proto::kExitFile);
    }
    e.exitCode = static_cast<int>(code);
    e.finishedAtNs = t;
    e.oomKilled = oom != 0;
    auto nl = text->find('\n');
    if (nl != std::string::npos) e.error = text->substr(nl + 1);
    return std::optional<ExitStatus>(std::move(e));
}

}  // namespace berth::monitor::files
