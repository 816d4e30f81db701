// docker top (moby daemon/top_unix.go): run ps, keep the container's rows.
#include "engine/top.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "common/scope_guard.h"
#include "common/unique_fd.h"

extern char** environ;

namespace berth::engine {

namespace {

bool asciiSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Go's strings.Fields limited to ASCII spaces (docker's fieldsASCII).
std::vector<std::string> fieldsAscii(std::string_view s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && asciiSpace(s[i])) ++i;
        size_t j = i;
        while (j < s.size() && !asciiSpace(s[j])) ++j;
        if (j > i) out.emplace_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

// docker refuses a column renamed to PID ("-o user=PID"): it would fool the PID match. Its
// check is the regexp `\s+(\S*)=\s*(PID\S*)` over the arguments, matched here by hand (the
// greedy key ends at the last '=' that lets "PID" follow).
Status validatePsArgs(const std::string& args) {
    size_t n = args.size(), i = 0;
    while (i < n) {
        if (!asciiSpace(args[i])) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < n && asciiSpace(args[j])) ++j;
        size_t k = j;
        while (k < n && !asciiSpace(args[k])) ++k;
        i = k;
        for (size_t p = k; p > j; --p) {
            if (args[p - 1] != '=') continue;
            size_t q = p;
            while (q < n && asciiSpace(args[q])) ++q;
            if (args.compare(q, 3, "PID") != 0) continue;
            size_t r = q;
            while (r < n && !asciiSpace(args[r])) ++r;
            std::string key = args.substr(j, p - 1 - j), value = args.substr(q, r - q);
            if (key != "pid") return invalid("specifying \"{}={}\" is not allowed", key, value);
            i = r;
            break;
        }
    }
    return {};
}

struct RunResult {
    int status = 0;
    std::string out, err;
};

// Runs argv (PATH lookup, no shell), collecting stdout and stderr.
Result<RunResult> run(const std::vector<std::string>& argv) {
    int outP[2], errP[2];
    if (::pipe2(outP, O_CLOEXEC) < 0) return errnoError("pipe");
    UniqueFd outR(outP[0]), outW(outP[1]);
    if (::pipe2(errP, O_CLOEXEC) < 0) return errnoError("pipe");
    UniqueFd errR(errP[0]), errW(errP[1]);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    ScopeGuard faGuard([&] { posix_spawn_file_actions_destroy(&fa); });
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outW.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, errW.get(), 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
    if (rc != 0) return Error{rc, fmt::format("exec {}", argv[0])};
    outW.reset();
    errW.reset();

    RunResult r;
    struct pollfd fds[2] = {{outR.get(), POLLIN, 0}, {errR.get(), POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    int open = 2;
    char buf[8192];
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open;
            }
        }
    }
    while (::waitpid(pid, &r.status, 0) < 0) {
        if (errno != EINTR) return errnoError("wait for {}", argv[0]);
    }
    return r;
}

bool succeeded(const RunResult& r) {
    return WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0;
}

}  // namespace

Result<std::string> parsePsOutput(const std::string& output, const std::vector<pid_t>& pids) {
    std::vector<std::string_view> lines;
    std::string_view text = output;
    while (true) {
        size_t nl = text.find('\n');
        lines.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text = text.substr(nl + 1);
    }
    auto titles = fieldsAscii(lines[0]);
    auto pidCol = std::find(titles.begin(), titles.end(), "PID");
    if (pidCol == titles.end()) return Error{0, "Couldn't find PID field in ps output"};
    size_t pidIndex = static_cast<size_t>(pidCol - titles.begin());

    nlohmann::json procs = nlohmann::json::array();
    auto append = [&](std::vector<std::string> f) {
        // The command (last title) takes the rest of the row.
        std::vector<std::string> row(f.begin(), f.begin() + static_cast<long>(titles.size() - 1));
        std::string cmd;
        for (size_t i = titles.size() - 1; i < f.size(); ++i)
            cmd += (cmd.empty() ? "" : " ") + f[i];
        row.push_back(cmd);
        procs.push_back(row);
    };
    bool previousKept = false;  // thread rows ("-" PID, ps -L / m) follow their process
    for (size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;
        auto f = fieldsAscii(lines[i]);
        if (f.size() <= pidIndex) return Error{0, fmt::format("Unexpected ps line '{}'", lines[i])};
        const std::string& p = f[pidIndex];
        if (p == "-") {
            if (previousKept && f.size() >= titles.size() - 1) append(std::move(f));
            continue;
        }
        pid_t pid = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), pid);
        if (ec != std::errc() || end != p.data() + p.size())
            return Error{0, fmt::format("Unexpected pid '{}'", p)};
        previousKept = std::find(pids.begin(), pids.end(), pid) != pids.end();
        if (previousKept && f.size() >= titles.size() - 1) append(std::move(f));
    }
    // Command lines are any bytes: invalid UTF-8 becomes U+FFFD, as with docker.
    return nlohmann::json{{"Titles", titles}, {"Processes", procs}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> topJson(const std::vector<pid_t>& pids, const std::string& psArgs) {
    std::string args = psArgs.empty() ? "-ef" : psArgs;
    TRY(validatePsArgs(args));
    std::vector<std::string> argv = {"ps"};
    for (auto& a : fieldsAscii(args)) argv.push_back(std::move(a));
    std::string q = "-q";
    for (size_t i = 0; i < pids.size(); ++i) q += (i ? "," : "") + std::to_string(pids[i]);

    std::vector<std::string> withPids = argv;
    if (!pids.empty()) withPids.push_back(q);
    auto r = TRY(run(withPids));
    if (!succeeded(r)) {
        // Some options (f) cannot be combined with q: list everything and filter.
        r = TRY(run(argv));
        if (!succeeded(r)) {
            std::string first = r.err.substr(0, r.err.find('\n'));
            if (first.empty()) first = fmt::format("exit status {}", WEXITSTATUS(r.status));
            return Error{0, "ps: " + first};
        }
    }
    return parsePsOutput(r.out, pids);
}

}  // namespace berth::engine
