#include "cli/verbs/image_format.h"

#include <ctime>

#include <fmt/format.h>

namespace berth::cli {

namespace {

std::string zoneSuffix(const std::tm& tm, bool rfc) {
    long off = tm.tm_gmtoff;
    if (off == 0 && rfc) return "Z";
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    if (rfc) return fmt::format("{}{:02}:{:02}", sign, off / 3600, off % 3600 / 60);
    return fmt::format("{}{:02}{:02} {}", sign, off / 3600, off % 3600 / 60,
                       tm.tm_zone ? tm.tm_zone : "UTC");
}

std::tm localTm(int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    return tm;
}

}  // namespace

std::string goTimeString(int64_t t) {
    auto tm = localTm(t);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return std::string(buf) + " " + zoneSuffix(tm, false);
}

std::string rfc3339(int64_t t) {
    auto tm = localTm(t);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return std::string(buf) + zoneSuffix(tm, true);
}

}  // namespace berth::cli
