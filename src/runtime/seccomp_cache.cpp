#include "runtime/seccomp_cache.h"

#include <seccomp.h>

#include <cstring>

#include "common/log.h"
#include "common/sys.h"

namespace berth::seccomp {

namespace {

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

void add(std::string& out, std::string_view key, std::string_view v) {
    out += key;
    out += '=';
    out += std::to_string(v.size());  // length-prefixed: no value can forge a separator
    out += ':';
    out += v;
    out += '\n';
}

template <typename T>
std::string opt(const std::optional<T>& v) {
    return v ? std::to_string(*v) : "-";
}

// Entry: "<canonical length>\n<canonical><flags>\n<notify>\n<bpf>".
std::string encode(const std::string& canon, const Program& p) {
    return fmt::format("{}\n{}{}\n{}\n", canon.size(), canon, p.flags, p.notify ? 1 : 0) + p.bpf;
}

std::optional<Program> decode(const std::string& entry, const std::string& canon) {
    size_t nl = entry.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    size_t len = strtoull(entry.c_str(), nullptr, 10);
    if (len != canon.size() || entry.size() < nl + 1 + len) return std::nullopt;
    if (entry.compare(nl + 1, len, canon) != 0) return std::nullopt;
    size_t pos = nl + 1 + len;
    size_t nl2 = entry.find('\n', pos);
    if (nl2 == std::string::npos) return std::nullopt;
    size_t nl3 = entry.find('\n', nl2 + 1);
    if (nl3 == std::string::npos) return std::nullopt;
    Program p;
    p.flags = strtoul(entry.c_str() + pos, nullptr, 10);
    p.notify = entry[nl2 + 1] == '1';
    p.bpf = entry.substr(nl3 + 1);
    if (p.bpf.empty() || p.bpf.size() % 8 != 0) return std::nullopt;  // sizeof(sock_filter)
    return p;
}

}  // namespace

std::string canonical(const spec::Seccomp& s) {
    std::string out;
    const scmp_version* v = seccomp_version();
    add(out, "libseccomp", fmt::format("{}.{}.{}", v->major, v->minor, v->micro));
    add(out, "default", s.defaultAction);
    add(out, "defaultErrno", opt(s.defaultErrnoRet));
    for (const auto& a : s.architectures) add(out, "arch", a);
    for (const auto& f : s.flags) add(out, "flag", f);
    for (const auto& sc : s.syscalls) {
        add(out, "rule", sc.action);
        add(out, "errno", opt(sc.errnoRet));
        for (const auto& n : sc.names) add(out, "name", n);
        for (const auto& a : sc.args) {
            add(out, "arg", fmt::format("{} {} {} {}", a.index, a.value, a.valueTwo, a.op));
        }
    }
    return out;
}

Result<Program> compileCached(const spec::Seccomp& s, const std::string& cacheDir) {
    std::string canon = canonical(s);
    std::string path = fmt::format("{}/{:016x}", cacheDir, fnv1a(canon));
    if (auto entry = sys::readFile(path)) {
        if (auto p = decode(*entry, canon)) {
            p->listenerPath = s.listenerPath;
            p->listenerMetadata = s.listenerMetadata;
            return std::move(*p);
        }
    }
    Program p = TRY(compile(s));
    // Best effort: a cache that cannot be written only costs the next create the compile.
    if (sys::mkdirAll(cacheDir, 0700)) {
        std::string tmp = fmt::format("{}.{}", path, ::getpid());
        if (sys::writeFile(tmp, encode(canon, p), O_WRONLY | O_CREAT | O_TRUNC, 0600) &&
            ::rename(tmp.c_str(), path.c_str()) == 0) {
            return p;
        }
        ::unlink(tmp.c_str());
        log::debug("seccomp cache: could not write {}", path);
    }
    return p;
}

}  // namespace berth::seccomp
