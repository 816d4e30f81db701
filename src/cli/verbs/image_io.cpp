#include "cli/verbs/image_io.h"

#include <fcntl.h>
#include <unistd.h>

namespace berth::cli {

Result<std::string> readAll(int fd) {
    std::string s;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("read");
        if (n == 0) return s;
        s.append(buf, static_cast<size_t>(n));
    }
}

Result<std::string> readWholeFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errnoError("open {}", path);
    auto r = readAll(fd);
    ::close(fd);
    if (!r) return std::move(r).error().wrap(path);
    return r;
}

Status writeAll(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("write");
        s.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

}  // namespace berth::cli
