#include "cli/verbs/sys_client_info.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include <fmt/core.h>

namespace berth::cli {

std::string sysToolchain() {
#if defined(__clang__)
    return fmt::format("none (C++20, clang {})", __clang_version__);
#elif defined(__GNUC__)
    return fmt::format("none (C++20, gcc {}.{}.{})", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
    return "none (C++20)";
#endif
}

std::string sysBuildTime() {
    static const char* months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4] = {};
    int day = 0, year = 0, h = 0, m = 0, s = 0;
    if (std::sscanf(__DATE__, "%3s %d %d", mon, &day, &year) != 3 ||
        std::sscanf(__TIME__, "%d:%d:%d", &h, &m, &s) != 3)
        return "";
    const char* p = std::strstr(months, mon);
    if (!p) return "";
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = static_cast<int>((p - months) / 3);
    tm.tm_mday = day;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    std::mktime(&tm);  // fills in the weekday
    char buf[64];
    std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm);
    return buf;
}

std::string sysGoArch() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "386";
#elif defined(__arm__)
    return "arm";
#elif defined(__riscv)
    return "riscv64";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__powerpc64__)
    return "ppc64le";
#else
    return "unknown";
#endif
}

}  // namespace berth::cli
