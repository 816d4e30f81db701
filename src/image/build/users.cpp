#include "image/build/users.h"

#include <linux/openat2.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/sys.h"

namespace berth::image::build {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    for (;;) {
        size_t e = s.find(sep, pos);
        out.push_back(
            s.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos));
        if (e == std::string_view::npos) break;
        pos = e + 1;
    }
    return out;
}

std::optional<uint32_t> parseId(std::string_view s) {
    uint32_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

template <typename F>
void eachLine(std::string_view text, F f) {
    for (auto line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        f(line);
    }
}

// A missing file is an empty one (scratch images have none).
Result<std::string> readInRoot(int rootFd, const char* path) {
    auto fd = sys::openat2(rootFd, path, O_RDONLY | O_CLOEXEC, RESOLVE_IN_ROOT);
    if (!fd) {
        if (fd.error().code == ENOENT || fd.error().code == ENOTDIR) return std::string();
        return std::move(fd).error();
    }
    return sys::readFd(fd->get());
}

}  // namespace

std::vector<PasswdEntry> parsePasswd(std::string_view text) {
    std::vector<PasswdEntry> out;
    eachLine(text, [&](std::string_view line) {
        auto f = split(line, ':');
        if (f.size() < 4) return;
        auto uid = parseId(f[2]), gid = parseId(f[3]);
        if (!uid || !gid) return;
        out.push_back({std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : ""});
    });
    return out;
}

std::vector<GroupEntry> parseGroup(std::string_view text) {
    std::vector<GroupEntry> out;
    eachLine(text, [&](std::string_view line) {
        auto f = split(line, ':');
        if (f.size() < 3) return;
        auto gid = parseId(f[2]);
        if (!gid) return;
        GroupEntry g{std::string(f[0]), *gid, {}};
        if (f.size() > 3 && !f[3].empty()) {
            for (auto m : split(f[3], ',')) g.members.emplace_back(m);
        }
        out.push_back(std::move(g));
    });
    return out;
}

Result<ExecUser> resolveUserIn(const std::vector<PasswdEntry>& pw,
                               const std::vector<GroupEntry>& gr, const std::string& spec) {
    ExecUser u;
    auto colon = spec.find(':');
    std::string_view userPart = std::string_view(spec).substr(0, colon);
    std::string groupPart = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (userPart.empty()) userPart = "0";
    const PasswdEntry* found = nullptr;
    auto uid = parseId(userPart);
    for (const auto& e : pw) {
        if (uid ? e.uid == *uid : e.name == userPart) {
            found = &e;
            break;
        }
    }
    if (found) {
        u.uid = found->uid;
        u.gid = found->gid;
        if (!found->home.empty()) u.home = found->home;
    } else if (uid) {
        u.uid = *uid;
    } else {
        return invalid("unable to find user {}: no matching entries in passwd file", userPart);
    }
    if (!groupPart.empty()) {
        auto gid = parseId(groupPart);
        const GroupEntry* g = nullptr;
        for (const auto& e : gr) {
            if (gid ? e.gid == *gid : e.name == groupPart) {
                g = &e;
                break;
            }
        }
        if (g) {
            u.gid = g->gid;
        } else if (gid) {
            u.gid = *gid;
        } else {
            return invalid("unable to find group {}: no matching entries in group file", groupPart);
        }
    } else if (found) {
        for (const auto& e : gr) {
            for (const auto& m : e.members) {
                if (m == found->name) {
                    u.additionalGids.push_back(e.gid);
                    break;
                }
            }
        }
    }
    return u;
}

Result<ExecUser> resolveUser(int rootFd, const std::string& spec) {
    auto pw = TRY_CTX(readInRoot(rootFd, "/etc/passwd"), "read /etc/passwd");
    auto gr = TRY_CTX(readInRoot(rootFd, "/etc/group"), "read /etc/group");
    return resolveUserIn(parsePasswd(pw), parseGroup(gr), spec);
}

Result<ExecUser> processUserIn(const std::vector<PasswdEntry>& pw,
                               const std::vector<GroupEntry>& gr, const std::string& spec,
                               const std::vector<std::string>& groupAdd) {
    auto u = TRY(resolveUserIn(pw, gr, spec));
    std::vector<uint32_t> gids = {u.gid};
    gids.insert(gids.end(), u.additionalGids.begin(), u.additionalGids.end());
    std::vector<uint32_t> added;
    for (const auto& g : groupAdd) {
        std::optional<uint32_t> gid;
        for (const auto& e : gr) {
            if (e.name == g || std::to_string(e.gid) == g) {
                gid = e.gid;
                break;
            }
        }
        if (!gid && !g.empty() && g.find_first_not_of("0123456789") == std::string::npos) {
            gid = parseId(g);
            if (!gid || *gid > 0x7fffffffU)
                return invalid("Unable to find group {}: numerical result out of range", g);
        }
        if (!gid) return invalid("Unable to find group {}: no matching entries in group file", g);
        if (std::find(added.begin(), added.end(), *gid) == added.end()) added.push_back(*gid);
    }
    gids.insert(gids.end(), added.begin(), added.end());
    u.additionalGids = std::move(gids);
    return u;
}

Result<ExecUser> processUser(int rootFd, const std::string& spec,
                             const std::vector<std::string>& groupAdd) {
    auto pw = TRY_CTX(readInRoot(rootFd, "/etc/passwd"), "read /etc/passwd");
    auto gr = TRY_CTX(readInRoot(rootFd, "/etc/group"), "read /etc/group");
    return processUserIn(parsePasswd(pw), parseGroup(gr), spec, groupAdd);
}

Result<std::pair<uint32_t, uint32_t>> resolveChown(int rootFd, const std::string& spec) {
    std::string userPart = spec, groupPart;
    auto colon = spec.find(':');
    if (colon != std::string::npos) {
        userPart = spec.substr(0, colon);
        groupPart = spec.substr(colon + 1);
    }
    auto uidNum = parseId(userPart);
    auto gidNum = parseId(groupPart);
    // Numeric ids need no files (a scratch image has none).
    if (uidNum && (groupPart.empty() || gidNum))
        return std::pair{*uidNum, gidNum.value_or(*uidNum)};
    auto pw = parsePasswd(TRY_CTX(readInRoot(rootFd, "/etc/passwd"), "read /etc/passwd"));
    auto gr = parseGroup(TRY_CTX(readInRoot(rootFd, "/etc/group"), "read /etc/group"));
    uint32_t uid = 0;
    if (uidNum) {
        uid = *uidNum;
    } else {
        bool ok = false;
        for (const auto& e : pw) {
            if (e.name == userPart) {
                uid = e.uid;
                ok = true;
                break;
            }
        }
        if (!ok) {
            return invalid(
                "unable to convert uid/gid chown string to host mapping: can't find "
                "uid for user {}: no such user: {}",
                userPart, userPart);
        }
    }
    if (groupPart.empty()) return std::pair{uid, uid};
    if (gidNum) return std::pair{uid, *gidNum};
    for (const auto& e : gr) {
        if (e.name == groupPart) return std::pair{uid, e.gid};
    }
    return invalid(
        "unable to convert uid/gid chown string to host mapping: can't find gid for "
        "group {}: no such group: {}",
        groupPart, groupPart);
}

}  // namespace berth::image::build
