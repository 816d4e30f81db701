#include "image/registry/growing_file.h"

#include <unistd.h>

#include <memory>

namespace berth::image::registry {

void GrowingFile::appended(int64_t written) {
    {
        std::lock_guard l(mu_);
        written_ = written;
    }
    cv_.notify_all();
}

void GrowingFile::restarted() {
    std::lock_guard l(mu_);
    written_ = 0;
}

void GrowingFile::finish(const Status& s) {
    {
        std::lock_guard l(mu_);
        finished_ = true;
        result_ = s;
    }
    cv_.notify_all();
}

Result<size_t> GrowingFile::read(int fd, int64_t& pos, void* buf, size_t n) {
    for (;;) {
        int64_t avail;
        {
            std::unique_lock l(mu_);
            cv_.wait(l, [&] { return written_ > pos || finished_; });
            if (finished_ && !result_) return result_.error();
            avail = written_ - pos;
            if (avail <= 0) return size_t{0};  // finished, everything read
        }
        size_t want = std::min<size_t>(n, static_cast<size_t>(avail));
        ssize_t r = ::pread(fd, buf, want, pos);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errnoError("read downloading blob");
        }
        // 0: the writer truncated (restart) between our check and the read; wait again.
        if (r == 0) continue;
        pos += r;
        return static_cast<size_t>(r);
    }
}

archive::ReadFn GrowingFile::reader(int fd) {
    auto pos = std::make_shared<int64_t>(0);
    return [this, fd, pos](void* buf, size_t n) { return read(fd, *pos, buf, n); };
}

}  // namespace berth::image::registry
