// Dockerfile --change instructions applied to a config (see changes.h).
#include "image/transfer/changes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace berth::image::transfer {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// Splits "KEYWORD rest" at the first whitespace.
std::pair<std::string, std::string_view> keyword(std::string_view line) {
    line = trim(line);
    size_t i = 0;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    return {upper(line.substr(0, i)), trim(line.substr(i))};
}

// The JSON array form, or nullopt for the shell form (anything that is not an array of
// strings: the Dockerfile parser falls back the same way).
std::optional<std::vector<std::string>> execForm(std::string_view rest) {
    if (rest.empty() || rest.front() != '[') return std::nullopt;
    try {
        auto j = nlohmann::json::parse(rest);
        if (!j.is_array()) return std::nullopt;
        std::vector<std::string> out;
        for (const auto& e : j) {
            if (!e.is_string()) return std::nullopt;
            out.push_back(e.get<std::string>());
        }
        return out;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

// ENV and LABEL: "k=v k2=v2" (values processed) or the legacy "k v with spaces".
Result<std::vector<std::pair<std::string, std::string>>> nameValues(
    std::string_view instr, std::string_view rest, const std::vector<std::string>& env) {
    auto words = TRY(splitWords(rest));
    if (words.empty()) return invalid("{} requires at least one argument", instr);
    std::vector<std::pair<std::string, std::string>> out;
    if (words[0].find('=') == std::string::npos) {
        size_t sp = rest.find_first_of(" \t");
        if (sp == std::string_view::npos) return invalid("{} must have two arguments", instr);
        auto value = TRY(processWord(trim(rest.substr(sp)), env));
        out.emplace_back(words[0], value);
        return out;
    }
    for (const auto& w : words) {
        if (w.find('=') == std::string::npos)
            return invalid(
                "Syntax error - can't find = in \"{}\". Must be of the form: "
                "name=value",
                w);
        auto kv = TRY(processWord(w, env));
        size_t eq = kv.find('=');
        if (eq == 0 || eq == std::string::npos) return invalid("{} names can not be blank", instr);
        out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return out;
}

Result<std::vector<std::string>> processedWords(std::string_view rest,
                                                const std::vector<std::string>& env) {
    std::vector<std::string> out;
    for (const auto& w : TRY(splitWords(rest))) out.push_back(TRY(processWord(w, env)));
    return out;
}

Result<int> parsePort(std::string_view s, std::string_view spec) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 65535)
        return invalid("invalid port \"{}\" in EXPOSE {}", s, spec);
    return v;
}

// "80", "80/udp", "8000-8002/tcp" -> "80/tcp", ...
Status exposePorts(ContainerConfig& c, const std::string& spec) {
    std::string_view s = spec, proto = "tcp";
    if (size_t slash = s.find('/'); slash != std::string_view::npos) {
        proto = s.substr(slash + 1);
        s = s.substr(0, slash);
    }
    std::string pr = upper(proto);
    for (auto& ch : pr) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (pr != "tcp" && pr != "udp" && pr != "sctp")
        return invalid("invalid proto \"{}\" in EXPOSE {}", proto, spec);
    int lo = 0, hi = 0;
    if (size_t dash = s.find('-'); dash != std::string_view::npos) {
        lo = TRY(parsePort(s.substr(0, dash), spec));
        hi = TRY(parsePort(s.substr(dash + 1), spec));
        if (hi < lo) return invalid("invalid port range in EXPOSE {}", spec);
    } else {
        lo = hi = TRY(parsePort(s, spec));
    }
    for (int p = lo; p <= hi; ++p) c.exposedPorts[fmt::format("{}/{}", p, pr)] = {};
    return {};
}

bool validSignal(std::string_view s) {
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return std::isdigit(ch); }))
        return s != "0" && s.size() < 4;
    std::string u = upper(s);
    if (u.rfind("SIG", 0) == 0) u = u.substr(3);
    static const std::set<std::string> names = {
        "ABRT", "ALRM",   "BUS",  "CHLD",   "CLD",   "CONT", "FPE",  "HUP",   "ILL",
        "INT",  "IO",     "IOT",  "KILL",   "PIPE",  "POLL", "PROF", "PWR",   "QUIT",
        "SEGV", "STKFLT", "STOP", "SYS",    "TERM",  "TRAP", "TSTP", "TTIN",  "TTOU",
        "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX"};
    if (names.count(u)) return true;
    // RTMIN+n / RTMAX-n
    if ((u.rfind("RTMIN+", 0) == 0 || u.rfind("RTMAX-", 0) == 0) && u.size() > 6)
        return std::all_of(u.begin() + 6, u.end(), [](char ch) { return std::isdigit(ch); });
    return false;
}

// Lexically cleans an absolute path ("/a/./b/../c" -> "/a/c").
std::string cleanPath(std::string_view p) {
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = std::min(p.find('/', i), p.size());
        auto part = p.substr(i, j - i);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out;
    for (auto part : parts) out += "/" + std::string(part);
    return out.empty() ? "/" : out;
}

Result<HealthConfig> healthcheck(std::string_view rest) {
    HealthConfig h;
    auto words = TRY(splitWords(rest));
    if (words.size() == 1 && upper(words[0]) == "NONE") {
        h.test = {"NONE"};
        return h;
    }
    std::string_view r = rest;
    while (true) {
        r = trim(r);
        if (r.rfind("--", 0) != 0) break;
        size_t sp = r.find_first_of(" \t");
        std::string_view flag = r.substr(2, sp == std::string_view::npos ? r.npos : sp - 2);
        r = sp == std::string_view::npos ? std::string_view() : r.substr(sp);
        size_t eq = flag.find('=');
        if (eq == std::string_view::npos)
            return invalid("HEALTHCHECK flag --{} needs a value", flag);
        auto name = flag.substr(0, eq);
        auto value = flag.substr(eq + 1);
        if (name == "retries") {
            auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), h.retries);
            if (ec != std::errc() || p != value.data() + value.size() || h.retries < 0)
                return invalid("HEALTHCHECK --retries: invalid value \"{}\"", value);
            continue;
        }
        int64_t* field = name == "interval"         ? &h.interval
                         : name == "timeout"        ? &h.timeout
                         : name == "start-period"   ? &h.startPeriod
                         : name == "start-interval" ? &h.startInterval
                                                    : nullptr;
        if (!field) return invalid("Unknown flag: {}", name);
        *field = TRY_CTX(parseDuration(value), "HEALTHCHECK --{}", name);
        if (*field != 0 && *field < 1000000)
            return invalid("HEALTHCHECK --{} cannot be less than 1ms", name);
    }
    auto [kw, cmd] = keyword(r);
    if (kw != "CMD") return invalid("Unknown type \"{}\" in HEALTHCHECK (try CMD)", kw);
    if (auto exec = execForm(cmd)) {
        h.test = {"CMD"};
        h.test.insert(h.test.end(), exec->begin(), exec->end());
    } else {
        if (cmd.empty()) return invalid("HEALTHCHECK CMD requires an argument");
        h.test = {"CMD-SHELL", std::string(cmd)};
    }
    return h;
}

std::vector<std::string> shellForm(std::string_view rest) {
    return {"/bin/sh", "-c", std::string(rest)};
}

}  // namespace

Status applyChanges(ContainerConfig& c, const std::vector<std::string>& changes) {
    static const std::set<std::string> allowed = {
        "CMD",     "ENTRYPOINT", "ENV",  "EXPOSE", "HEALTHCHECK", "LABEL",
        "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"};
    static const std::set<std::string> known = {"ADD",        "ARG", "COPY", "FROM",
                                                "MAINTAINER", "RUN", "SHELL"};
    bool cmdSet = false;
    for (const auto& line : changes) {
        auto [kw, rest] = keyword(line);
        if (kw.empty()) continue;
        if (!allowed.count(kw)) {
            if (known.count(kw)) return invalid("{} is not a valid change command", kw);
            return invalid("dockerfile parse error on line 1: unknown instruction: {}", kw);
        }
        if (kw == "CMD") {
            auto exec = execForm(rest);
            if (!exec && rest.empty()) return invalid("CMD requires at least one argument");
            c.cmd = exec ? *exec : shellForm(rest);
            cmdSet = true;
        } else if (kw == "ENTRYPOINT") {
            auto exec = execForm(rest);
            if (!exec && rest.empty()) return invalid("ENTRYPOINT requires at least one argument");
            c.entrypoint = exec ? *exec : shellForm(rest);
            // As in a build: an ENTRYPOINT drops the CMD inherited from before.
            if (!cmdSet) c.cmd.reset();
        } else if (kw == "ENV") {
            auto kvs = TRY(nameValues(kw, rest, c.env));
            for (auto& [k, v] : kvs) {
                auto it = std::find_if(c.env.begin(), c.env.end(), [&k = k](const auto& e) {
                    return e.size() > k.size() && e.compare(0, k.size(), k) == 0 &&
                           e[k.size()] == '=';
                });
                if (it != c.env.end())
                    *it = k + "=" + v;
                else
                    c.env.push_back(k + "=" + v);
            }
        } else if (kw == "LABEL") {
            for (auto& [k, v] : TRY(nameValues(kw, rest, c.env))) c.labels[k] = v;
        } else if (kw == "EXPOSE") {
            auto ports = TRY(processedWords(rest, c.env));
            if (ports.empty()) return invalid("EXPOSE requires at least one argument");
            for (const auto& p : ports) TRY(exposePorts(c, p));
        } else if (kw == "USER") {
            if (rest.empty()) return invalid("USER requires exactly one argument");
            c.user = TRY(processWord(rest, c.env));
        } else if (kw == "WORKDIR") {
            if (rest.empty()) return invalid("WORKDIR requires exactly one argument");
            auto dir = TRY(processWord(rest, c.env));
            if (dir.empty() || dir[0] != '/')
                dir = (c.workingDir.empty() ? std::string("/") : c.workingDir) + "/" + dir;
            c.workingDir = cleanPath(dir);
        } else if (kw == "VOLUME") {
            auto vols = execForm(rest);
            if (!vols) vols = TRY(processedWords(rest, c.env));
            if (vols->empty()) return invalid("VOLUME requires at least one argument");
            for (const auto& v : *vols) {
                if (trim(v).empty()) return invalid("VOLUME specified can not be an empty string");
                c.volumes[std::string(trim(v))] = {};
            }
        } else if (kw == "STOPSIGNAL") {
            auto sig = TRY(processWord(rest, c.env));
            if (!validSignal(sig)) return invalid("Invalid signal: {}", sig);
            c.stopSignal = sig;
        } else if (kw == "ONBUILD") {
            auto [inner, innerRest] = keyword(rest);
            if (inner.empty()) return invalid("ONBUILD requires at least one argument");
            if (inner == "ONBUILD")
                return invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            if (inner == "FROM" || inner == "MAINTAINER")
                return invalid("{} isn't allowed as an ONBUILD trigger", inner);
            c.onBuild.emplace_back(trim(rest));
        } else if (kw == "HEALTHCHECK") {
            c.healthcheck = TRY(healthcheck(rest));
        }
    }
    return {};
}

}  // namespace berth::image::transfer
