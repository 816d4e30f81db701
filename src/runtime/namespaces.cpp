#include "runtime/namespaces.h"

#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <algorithm>

#include "common/sys.h"

namespace berth::ns {

const std::vector<Kind>& kinds() {
    static const std::vector<Kind> k = {
        {"user", CLONE_NEWUSER, "user"},       {"ipc", CLONE_NEWIPC, "ipc"},
        {"uts", CLONE_NEWUTS, "uts"},          {"network", CLONE_NEWNET, "net"},
        {"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"mount", CLONE_NEWNS, "mnt"},
        {"pid", CLONE_NEWPID, "pid"},          {"time", CLONE_NEWTIME, "time"},
    };
    return k;
}

const Kind* find(const std::string& type) {
    for (const auto& k : kinds()) {
        if (type == k.type) return &k;
    }
    return nullptr;
}

namespace {
Result<Join> openChecked(const Kind* k, const std::string& path) {
    auto fd = TRY_CTX(sys::open(path, O_RDONLY), "{} namespace", k->type);
    int t = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (t < 0) return errnoError("{} namespace {}: not a namespace file", k->type, path);
    if (t != k->flag) return invalid("{} is not a {} namespace", path, k->type);
    return Join{k, std::move(fd)};
}

void sortJoins(std::vector<Join>& v) {
    auto rank = [](const Kind* k) { return k - kinds().data(); };
    std::sort(v.begin(), v.end(), [&](const Join& a, const Join& b) {
        return rank(a.kind) < rank(b.kind);
    });
}
}  // namespace

Result<std::vector<Join>> openPaths(const std::vector<spec::Namespace>& nss) {
    std::vector<Join> out;
    for (const auto& n : nss) {
        if (n.path.empty()) continue;
        const Kind* k = find(n.type);
        if (!k) return invalid("linux.namespaces: unknown namespace type \"{}\"", n.type);
        out.push_back(TRY_CTX(openChecked(k, n.path), "linux.namespaces"));
    }
    sortJoins(out);
    return out;
}

Result<std::vector<Join>> openOfPid(pid_t pid, const std::vector<std::string>& types) {
    std::vector<Join> out;
    for (const auto& t : types) {
        const Kind* k = find(t);
        if (!k) return invalid("unknown namespace type \"{}\"", t);
        out.push_back(TRY(openChecked(k, fmt::format("/proc/{}/ns/{}", pid, k->procName))));
    }
    sortJoins(out);
    return out;
}

int newFlags(const std::vector<spec::Namespace>& nss) {
    int flags = 0;
    for (const auto& n : nss) {
        const Kind* k = find(n.type);
        if (k && n.path.empty() && k->flag != CLONE_NEWUSER) flags |= k->flag;
    }
    return flags;
}

Status joinAll(std::vector<Join>& joins) {
    for (auto& j : joins) {
        if (::setns(j.fd.get(), j.kind->flag) < 0) return errnoError("join {} namespace", j.kind->type);
        j.fd.reset();
    }
    return {};
}

}  // namespace berth::ns
