#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

namespace berth::log {

namespace {
Options g_opts;
int g_fd = STDERR_FILENO;

const char* levelName(Level l) {
    switch (l) {
        case Level::Debug: return "debug";
        case Level::Info: return "info";
        case Level::Warn: return "warning";
        case Level::Error: return "error";
    }
    return "error";
}

std::string nowRfc3339() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);  // no strftime: it would load the local time zone
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:09d}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

void writeAll(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n <= 0) return;  // logging must never fail the operation
        off += static_cast<size_t>(n);
    }
}
}  // namespace

void init(const Options& o) {
    g_opts = o;
    if (g_fd != STDERR_FILENO) ::close(g_fd);
    g_fd = STDERR_FILENO;
    if (!o.path.empty()) {
        int fd = ::open(o.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) g_fd = fd;
    }
}

bool enabled(Level l) { return l >= g_opts.level; }

std::string jsonEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += fmt::format("\\u{:04x}", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

void write(Level l, std::string_view msg) {
    if (!enabled(l)) return;
    std::string line;
    if (g_opts.format == Format::Json) {
        line = fmt::format("{{\"level\":\"{}\",\"msg\":\"{}\",\"time\":\"{}\"}}\n", levelName(l),
                           jsonEscape(msg), nowRfc3339());
    } else if (g_fd == STDERR_FILENO) {
        line = fmt::format("{}\n", msg);
    } else {
        line = fmt::format("time=\"{}\" level={} msg=\"{}\"\n", nowRfc3339(), levelName(l),
                           jsonEscape(msg));
    }
    writeAll(g_fd, line);
    if (g_fd != STDERR_FILENO && l == Level::Error && g_opts.alsoStderr) {
        writeAll(STDERR_FILENO, std::string(msg) + "\n");
    }
}

}  // namespace berth::log
