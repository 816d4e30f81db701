// Time formats, the container record's JSON form, signal names.
#include <csignal>
#include <ctime>

#include <chrono>
#include <cstdlib>

#include "common/units.h"
#include "engine/internal.h"
#include "image/build/container_run.h"

namespace berth::engine {

int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string rfc3339Nano(int64_t ns) {
    if (ns <= 0) return kZeroTime;
    time_t secs = static_cast<time_t>(ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:09d}Z", buf, ns % 1000000000);
}

std::string nowRfc3339Nano() {
    return rfc3339Nano(nowNs());
}

Result<int64_t> parseTimeNs(const std::string& s) {
    if (s.empty() || s == kZeroTime) return int64_t{0};
    // Unix seconds, optionally with a fraction ("1700000000.123456789").
    if (s.find_first_not_of("0123456789.") == std::string::npos) {
        auto dot = s.find('.');
        int64_t secs = std::strtoll(s.substr(0, dot).c_str(), nullptr, 10);
        int64_t frac = 0;
        if (dot != std::string::npos) {
            std::string f = s.substr(dot + 1, 9);
            f.resize(9, '0');
            frac = std::strtoll(f.c_str(), nullptr, 10);
        }
        return secs * 1000000000 + frac;
    }
    if (auto d = parseDurationNs(s)) return nowNs() - *d;  // "24h": that long ago
    struct tm tm = {};
    const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) {
        rest = strptime(s.c_str(), "%Y-%m-%d", &tm);
        if (!rest) return invalid("invalid time: {}", s);
    }
    int64_t ns = static_cast<int64_t>(timegm(&tm)) * 1000000000;
    if (*rest == '.') {
        ++rest;
        std::string f;
        while (*rest >= '0' && *rest <= '9') f += *rest++;
        f = f.substr(0, 9);
        f.resize(9, '0');
        ns += std::strtoll(f.c_str(), nullptr, 10);
    }
    if (*rest == '+' || *rest == '-') {
        int sign = *rest == '-' ? -1 : 1;
        int hh = 0, mm = 0;
        if (sscanf(rest + 1, "%d:%d", &hh, &mm) < 1) return invalid("invalid time zone: {}", s);
        ns -= sign * (static_cast<int64_t>(hh) * 3600 + mm * 60) * 1000000000;
    }
    return ns;
}

Result<int> parseSignalName(const std::string& in) {
    if (in.empty()) return SIGTERM;
    std::string s;
    for (char ch : in) s += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (s.find_first_not_of("0123456789") == std::string::npos) {
        int n = std::atoi(s.c_str());
        if (n <= 0 || n > SIGRTMAX) return invalid("Invalid signal: {}", in);
        return n;
    }
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    static const std::pair<const char*, int> kSigs[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
        {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
        {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
        {"SYS", SIGSYS}};
    for (const auto& [name, n] : kSigs)
        if (s == name) return n;
    if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) {
        int off = 0;
        if (s.size() > 5) off = std::atoi(s.substr(5).c_str());
        int n = s[2] == 'M' && s[3] == 'I' ? SIGRTMIN + off : SIGRTMAX + off;
        if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
    }
    return invalid("Invalid signal: {}", in);
}

std::string randomHexId() {
    return image::build::randomId();
}

std::vector<std::string> stringList(const Json& j) {
    std::vector<std::string> out;
    if (j.is_string()) {
        out.push_back(j.get<std::string>());
    } else if (j.is_array()) {
        for (const auto& v : j)
            if (v.is_string()) out.push_back(v.get<std::string>());
    }
    return out;
}

int64_t parseSize(const std::string& s) {
    if (s.empty()) return 0;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    std::string unit = end ? end : "";
    for (auto& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    double mul = 1;
    if (unit == "k")
        mul = 1024.0;
    else if (unit == "m")
        mul = 1024.0 * 1024;
    else if (unit == "g")
        mul = 1024.0 * 1024 * 1024;
    else if (unit == "t")
        mul = 1024.0 * 1024 * 1024 * 1024;
    else if (!unit.empty())
        return 0;
    return static_cast<int64_t>(v * mul);
}

Json Container::toRecord() const {
    return Json{{"Id", id},
                {"Name", name},
                {"Created", created},
                {"Image", image},
                {"ImageID", imageId},
                {"Path", path},
                {"Args", args},
                {"Config", config},
                {"HostConfig", hostConfig},
                {"NetworkingConfig", networkingConfig},
                {"NetworkSettings", networkSettings},
                {"Mounts", mounts},
                {"State",
                 {{"Status", state.status},
                  {"OOMKilled", state.oomKilled},
                  {"Pid", state.pid},
                  {"ExitCode", state.exitCode},
                  {"Error", state.error},
                  {"StartedAt", state.startedAt},
                  {"FinishedAt", state.finishedAt},
                  {"Health", state.health}}},
                {"RestartCount", restartCount},
                {"ManuallyStopped", manuallyStopped},
                {"HasBeenStarted", hasBeenStarted},
                {"HostsPath", hostsPath},
                {"ResolvConfPath", resolvConfPath},
                {"HostnamePath", hostnamePath}};
}

Result<Container> Container::fromRecord(const Json& j) {
    try {
        Container c;
        c.id = j.at("Id").get<std::string>();
        c.name = j.at("Name").get<std::string>();
        c.created = j.value("Created", "");
        c.image = j.value("Image", "");
        c.imageId = j.value("ImageID", "");
        c.path = j.value("Path", "");
        c.args = j.value("Args", std::vector<std::string>{});
        c.config = j.value("Config", Json::object());
        c.hostConfig = j.value("HostConfig", Json::object());
        c.networkingConfig = j.value("NetworkingConfig", Json::object());
        c.networkSettings = j.value("NetworkSettings", Json::object());
        c.mounts = j.value("Mounts", Json::array());
        const Json& s = j.at("State");
        c.state.status = s.value("Status", "created");
        c.state.oomKilled = s.value("OOMKilled", false);
        c.state.pid = s.value("Pid", 0);
        c.state.exitCode = s.value("ExitCode", 0);
        c.state.error = s.value("Error", "");
        c.state.startedAt = s.value("StartedAt", kZeroTime);
        c.state.finishedAt = s.value("FinishedAt", kZeroTime);
        c.state.health = s.value("Health", Json());
        c.restartCount = j.value("RestartCount", 0);
        c.manuallyStopped = j.value("ManuallyStopped", false);
        c.hasBeenStarted = j.value("HasBeenStarted", false);
        c.hostsPath = j.value("HostsPath", "");
        c.resolvConfPath = j.value("ResolvConfPath", "");
        c.hostnamePath = j.value("HostnamePath", "");
        return c;
    } catch (const std::exception& ex) {
        return invalid("container record: {}", ex.what());
    }
}

}  // namespace berth::engine
