#include "monitor/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "monitor/log_format.h"

namespace berth::monitor {

Status LogWriter::open(const std::string& path, int64_t maxSize, int maxFiles) {
    path_ = path;
    maxSize_ = maxSize;
    maxFiles_ = std::max(1, maxFiles);
    fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd_) return errnoError("open log {}", path);
    struct stat st;
    if (::fstat(fd_.get(), &st) < 0) return errnoError("stat log {}", path);
    size_ = st.st_size;
    return {};
}

Status LogWriter::write(int stream, std::string_view data, int64_t nowNs) {
    if (stream != 1 && stream != 2) return invalid("log stream {}", stream);
    char* buf = line_[stream - 1];
    size_t& len = lineLen_[stream - 1];
    while (!data.empty()) {
        if (len == 0) {
            // Whole lines straight from the input, without a copy.
            size_t nl = data.find('\n');
            if (nl != std::string_view::npos && nl < kMaxLine) {
                emit(stream, data.substr(0, nl + 1), nowNs);
                data.remove_prefix(nl + 1);
            } else if (nl == std::string_view::npos && data.size() < kMaxLine) {
                std::memcpy(buf, data.data(), data.size());
                len = data.size();
                break;
            } else {
                emit(stream, data.substr(0, kMaxLine), nowNs);
                data.remove_prefix(kMaxLine);
            }
            continue;
        }
        size_t take = std::min(kMaxLine - len, data.size());
        size_t nl = data.substr(0, take).find('\n');
        if (nl != std::string_view::npos) take = nl + 1;
        std::memcpy(buf + len, data.data(), take);
        len += take;
        data.remove_prefix(take);
        if (nl != std::string_view::npos || len == kMaxLine) {
            emit(stream, std::string_view(buf, len), nowNs);
            len = 0;
        }
    }
    return commit();
}

Status LogWriter::flush(int stream, int64_t nowNs) {
    if (stream != 1 && stream != 2) return invalid("log stream {}", stream);
    size_t& len = lineLen_[stream - 1];
    if (len) emit(stream, std::string_view(line_[stream - 1], len), nowNs);
    len = 0;
    return commit();
}

void LogWriter::emit(int stream, std::string_view text, int64_t ns) {
    if (maxSize_ > 0 && size_ + static_cast<int64_t>(out_.size()) >= maxSize_) {
        auto st = commit();
        if (st) st = rotate();
        if (!st && pendingError_) pendingError_ = std::move(st);
    }
    logfmt::appendEntry(out_, stream, text, ns);
}

Status LogWriter::commit() {
    Status result = std::move(pendingError_);
    pendingError_ = {};
    size_t off = 0;
    while (off < out_.size() && fd_) {
        ssize_t n = ::write(fd_.get(), out_.data() + off, out_.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (result) result = errnoError("write log {}", path_);
            break;
        }
        off += static_cast<size_t>(n);
        size_ += n;
    }
    out_.clear();
    // A burst may have grown the buffer to ~100 KiB; do not keep that for the container's life.
    if (out_.capacity() > 64 * 1024) out_.shrink_to_fit();
    return result;
}

Status LogWriter::rotate() {
    if (maxFiles_ <= 1) {
        if (::ftruncate(fd_.get(), 0) < 0) return errnoError("truncate log {}", path_);
        size_ = 0;
        return {};
    }
    for (int k = maxFiles_ - 1; k >= 2; k--) {
        std::string from = fmt::format("{}.{}", path_, k - 1), to = fmt::format("{}.{}", path_, k);
        if (::rename(from.c_str(), to.c_str()) < 0 && errno != ENOENT) {
            return errnoError("rotate {} to {}", from, to);
        }
    }
    std::string first = path_ + ".1";
    if (::rename(path_.c_str(), first.c_str()) < 0) return errnoError("rotate {}", path_);
    UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd) return errnoError("open log {}", path_);
    fd_ = std::move(fd);
    size_ = 0;
    return {};
}

}  // namespace berth::monitor
