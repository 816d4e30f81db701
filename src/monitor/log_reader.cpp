// readLog(): the engine's side of the json-file log (docker logs, attach with logs=1).
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "common/sys.h"
#include "monitor/log_format.h"
#include "monitor/monitor.h"

namespace berth::monitor {

namespace {

constexpr size_t kChunk = 64 * 1024;

using Sink = std::function<bool(int, std::string_view, int64_t)>;

struct LogFile {
    UniqueFd fd;
    ino_t ino = 0;
};

std::optional<LogFile> openLog(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return std::nullopt;
    return LogFile{std::move(fd), st.st_ino};
}

std::string rotated(const std::string& path, int k) {
    return k == 0 ? path : fmt::format("{}.{}", path, k);
}

// Where reading must start in fd so that `need` entries remain; *need drops by the entries
// found in this file (it stays above 0 when the file has fewer).
Result<off_t> tailStart(int fd, int* need) {
    struct stat st;
    if (::fstat(fd, &st) < 0) return errnoError("stat log");
    off_t end = st.st_size;
    if (end == 0) return off_t{0};
    char buf[kChunk];
    int count = 0;
    bool skipLast = true;  // the last byte is the newline ending the last entry
    for (off_t pos = end; pos > 0;) {
        size_t n = static_cast<size_t>(std::min<off_t>(pos, kChunk));
        pos -= static_cast<off_t>(n);
        ssize_t r = ::pread(fd, buf, n, pos);
        if (r != static_cast<ssize_t>(n)) return errnoError("read log");
        for (size_t i = n; i-- > 0;) {
            if (buf[i] != '\n') {
                skipLast = false;
                continue;
            }
            if (skipLast) {
                skipLast = false;
                continue;
            }
            if (++count == *need) {
                *need = 0;
                return pos + static_cast<off_t>(i) + 1;
            }
        }
    }
    *need -= count + 1;  // the first line has no newline before it
    return off_t{0};
}

class Reader {
  public:
    Reader(const LogReadOptions& o, const Sink& sink) : o_(o), sink_(sink) {}

    bool done() const { return done_; }
    void resetCarry() { carry_.clear(); }

    // Reads fd from its offset to EOF. Returns the bytes read.
    Result<size_t> drain(int fd) {
        size_t total = 0;
        while (!done_) {
            size_t old = carry_.size();
            carry_.resize(old + kChunk);
            ssize_t n = ::read(fd, carry_.data() + old, kChunk);
            if (n < 0 && errno == EINTR) {
                carry_.resize(old);
                continue;
            }
            if (n < 0) {
                carry_.resize(old);
                return errnoError("read log");
            }
            carry_.resize(old + static_cast<size_t>(n));
            if (n == 0) break;
            total += static_cast<size_t>(n);
            lines();
        }
        return total;
    }

  private:
    void lines() {
        size_t start = 0;
        for (;;) {
            size_t nl = carry_.find('\n', start);
            if (nl == std::string::npos || done_) break;
            entry(std::string_view(carry_).substr(start, nl - start));
            start = nl + 1;
        }
        carry_.erase(0, start);
    }

    void entry(std::string_view line) {
        if (!logfmt::decodeEntry(line, e_)) return;  // a damaged line is skipped, as docker does
        if ((e_.stream == 1 && !o_.stdoutStream) || (e_.stream == 2 && !o_.stderrStream) ||
            e_.stream == 0) {
            return;
        }
        if (o_.sinceNs && e_.timeNs < o_.sinceNs) return;
        if (o_.untilNs && e_.timeNs > o_.untilNs) {
            done_ = true;
            return;
        }
        if (!sink_(e_.stream, e_.text, e_.timeNs)) done_ = true;
    }

    const LogReadOptions& o_;
    const Sink& sink_;
    std::string carry_;
    logfmt::Entry e_;
    bool done_ = false;
};

// The old current file's new name: <log>.k with its inode, 0 when not found (deleted: the
// follower fell more than maxFiles - 1 rotations behind).
int findRotated(const std::string& path, int maxFiles, ino_t ino) {
    for (int k = 1; k < maxFiles; k++) {
        struct stat st;
        if (::stat(rotated(path, k).c_str(), &st) == 0 && st.st_ino == ino) return k;
    }
    return 0;
}

Status follow(const std::string& path, int maxFiles, std::optional<LogFile> cur, Reader& r,
              const std::function<bool()>& stopFollow) {
    std::string dir = path.substr(0, path.rfind('/') + 1);
    UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!in) return errnoError("inotify_init1");
    if (::inotify_add_watch(in.get(), dir.empty() ? "." : dir.c_str(),
                            IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
        return errnoError("watch {}", dir);
    }
    bool stopping = false;
    while (!r.done()) {
        if (!cur) {
            cur = openLog(path);
            r.resetCarry();
        }
        if (cur) TRY(r.drain(cur->fd.get()));
        if (r.done()) break;
        struct stat st;
        if (cur && ::stat(path.c_str(), &st) == 0 && st.st_ino != cur->ino) {
            // Rotated: the writer is done with the old file. Finish it, then read any newer
            // rotated file we missed (several rotations between two looks), then the new one.
            TRY(r.drain(cur->fd.get()));
            int k = findRotated(path, maxFiles, cur->ino);
            // Not found: rotated out of existence, so every rotated file left is newer.
            if (k == 0) k = maxFiles;
            for (int j = k - 1; j >= 1 && !r.done(); j--) {
                if (auto f = openLog(rotated(path, j))) {
                    r.resetCarry();
                    TRY(r.drain(f->fd.get()));
                }
            }
            cur.reset();
            continue;
        }
        if (cur && ::fstat(cur->fd.get(), &st) == 0 &&
            st.st_size < ::lseek(cur->fd.get(), 0, SEEK_CUR)) {
            ::lseek(cur->fd.get(), 0, SEEK_SET);  // truncated in place (max-file 1)
            r.resetCarry();
            continue;
        }
        if (stopping) break;
        if (stopFollow && stopFollow()) {
            stopping = true;  // one more pass: what was written before the exit is read
            continue;
        }
        pollfd p = {in.get(), POLLIN, 0};
        int rc = ::poll(&p, 1, 250);
        if (rc < 0 && errno != EINTR) return errnoError("poll inotify");
        char ev[4096];
        while (::read(in.get(), ev, sizeof ev) > 0) {
        }
    }
    return {};
}

}  // namespace

Status readLog(const std::string& logPath, int maxFiles, const LogReadOptions& o, const Sink& sink,
               const std::function<bool()>& stopFollow) {
    maxFiles = std::max(1, maxFiles);
    // Oldest first; opened together so that a rotation while we read cannot skip a file.
    std::vector<LogFile> files;
    for (int k = maxFiles - 1; k >= 0; k--) {
        if (auto f = openLog(rotated(logPath, k))) files.push_back(std::move(*f));
    }
    std::optional<LogFile> current;
    if (!files.empty()) {
        struct stat st;
        if (::stat(logPath.c_str(), &st) == 0 && st.st_ino == files.back().ino) {
            current = LogFile{UniqueFd(::dup(files.back().fd.get())), files.back().ino};
            if (!current->fd) return errnoError("dup");
        }
    }
    size_t first = 0;
    if (o.tail >= 0) {
        int need = o.tail;
        first = files.size();
        for (size_t i = files.size(); i-- > 0 && need > 0;) {
            off_t off = TRY_CTX(tailStart(files[i].fd.get(), &need), "tail {}", logPath);
            if (::lseek(files[i].fd.get(), off, SEEK_SET) < 0) return errnoError("seek log");
            first = i;
        }
        if (o.tail == 0 && current) {
            if (::lseek(current->fd.get(), 0, SEEK_END) < 0) return errnoError("seek log");
        }
    }
    Reader r(o, sink);
    for (size_t i = first; i < files.size() && !r.done(); i++) {
        r.resetCarry();
        if (current && i + 1 == files.size()) {
            // The current file is read through its own fd, so that follow continues from here.
            if (::lseek(current->fd.get(), ::lseek(files[i].fd.get(), 0, SEEK_CUR), SEEK_SET) < 0) {
                return errnoError("seek log");
            }
            TRY_CTX(r.drain(current->fd.get()), "read {}", logPath);
        } else {
            TRY_CTX(r.drain(files[i].fd.get()), "read {}", rotated(logPath, 0));
        }
    }
    if (!o.follow || r.done()) return {};
    return follow(logPath, maxFiles, std::move(current), r, stopFollow);
}

}  // namespace berth::monitor
