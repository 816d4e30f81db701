// Network namespaces by path: created and bind-mounted like `ip netns add` does, but at a path of
// our choosing (<runDir>/netns/<id>), so the runtime joins it by path and it outlives any
// process. Work inside a netns runs on a short-lived thread that setns()es into it: the netns
// is a per-thread attribute, so the caller's thread never leaves its own.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::net {

// Creates a new netns and bind-mounts it at `path` (the file is created; it must not exist).
// Returns an fd for it. On error nothing is left behind.
Result<UniqueFd> createNetns(const std::string& path);

// Unmounts and unlinks `path`; a missing or unmounted path is fine.
Status removeNetns(const std::string& path);

// An fd of the netns mounted at `path`; EINVAL when `path` is not a netns (e.g. a stale file
// after a reboot).
Result<UniqueFd> openNetns(const std::string& path);

// True when `path` is a mounted network namespace.
bool isNetns(const std::string& path);

// Runs `fn` on a thread that joined the netns `nsFd`; returns after the thread ended. The only
// error is failing to join (fn reports its own results through what it captures).
Status runInNetns(int nsFd, const std::function<void()>& fn);

// Convenience: `fn` returns a Result<T>.
template <typename F>
auto inNetns(int nsFd, F&& fn) -> decltype(fn()) {
    std::optional<decltype(fn())> out;
    auto st = runInNetns(nsFd, [&] { out.emplace(fn()); });
    if (!st) return std::move(st).error();
    return std::move(*out);
}

}  // namespace berth::net
