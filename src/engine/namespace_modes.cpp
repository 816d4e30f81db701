// PidMode / IpcMode / UTSMode: checked at create, resolved at start (docker's rules, moby
// daemon/oci_linux.go WithNamespaces and daemon/container_operations_unix.go).
#include "engine/namespace_modes.h"

#include <chrono>
#include <thread>

namespace berth::engine {

namespace {

constexpr const char* kContainerPrefix = "container:";

struct ModeKey {
    const char* field;  // HostConfig key
    const char* type;   // OCI namespace type
    const char* label;  // docker's word in messages
};
constexpr ModeKey kModes[] = {
    {"PidMode", "pid", "PID"},
    {"IpcMode", "ipc", "IPC"},
    {"UTSMode", "uts", "UTS"},
};

std::string modeOf(const Json& hc, const char* field) {
    if (!hc.is_object()) return "";
    const Json& v = hc.value(field, Json());
    return v.is_string() ? v.get<std::string>() : "";
}

// "container:<x>" -> x ("" for any other mode).
std::string joinedContainer(const std::string& mode) {
    if (mode.rfind(kContainerPrefix, 0) != 0) return "";
    return mode.substr(std::char_traits<char>::length(kContainerPrefix));
}

bool validMode(const char* type, const std::string& mode) {
    if (mode.empty() || mode == "host") return true;
    if (mode.rfind(kContainerPrefix, 0) == 0) return !joinedContainer(mode).empty();
    if (std::string_view(type) == "ipc")
        return mode == "private" || mode == "shareable" || mode == "none";
    return false;
}

// x's lock, waited for a while: x may be in the middle of its own start or stop (its lock is
// held throughout), and two containers joining each other must not deadlock.
Result<std::unique_lock<std::mutex>> lockOther(Entry& x, const std::string& name) {
    std::unique_lock lk(x.mu, std::defer_lock);
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!lk.try_lock()) {
        if (std::chrono::steady_clock::now() > end)
            return makeError(EBUSY, "container {} is busy: try again", name);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return lk;
}

}  // namespace

Status validateNamespaceModes(const Json& hc) {
    for (const auto& m : kModes) {
        if (hc.is_object() && hc.contains(m.field) && !hc[m.field].is_null() &&
            !hc[m.field].is_string())
            return invalid("invalid {} mode: {}", m.label, hc[m.field].dump());
        std::string mode = modeOf(hc, m.field);
        if (!validMode(m.type, mode)) return invalid("invalid {} mode: {}", m.label, mode);
    }
    return okStatus();
}

Result<std::map<std::string, int>> namespaceJoinPids(Engine::Impl& impl, const Container& c) {
    std::map<std::string, int> out;
    for (const auto& m : kModes) {
        std::string name = joinedContainer(modeOf(c.hostConfig, m.field));
        if (name.empty()) continue;
        auto notRunning = [&] {
            return makeError(EINVAL, "cannot join {} of a non running container: {}", m.label,
                             name);
        };
        auto x = TRY(impl.find(name));
        if (x->c.id == c.id) return notRunning();  // being started: and its lock is ours
        auto lk = TRY(lockOther(*x, name));
        const Container& xc = x->c;
        if (!xc.running() || xc.state.pid <= 0) return notRunning();
        if (xc.state.status == "restarting")
            return makeError(EBUSY,
                             "Container {} is restarting, wait until the container is "
                             "running",
                             xc.id);
        if (std::string_view(m.type) == "ipc") {
            std::string xm = modeOf(xc.hostConfig, "IpcMode");
            if (xm != "shareable" && xm != "host" && joinedContainer(xm).empty())
                return invalid(
                    "container {}: non-shareable IPC (hint: use IpcMode:shareable "
                    "for the donor container)",
                    name);
        }
        out[m.type] = xc.state.pid;
    }
    return out;
}

Status appendNamespaceEntries(const Json& hc, const std::map<std::string, int>& joinPids,
                              Json& ns) {
    for (const auto& m : kModes) {
        std::string mode = modeOf(hc, m.field);
        if (mode == "host") continue;
        std::string other = joinedContainer(mode);
        if (other.empty()) {
            ns.push_back({{"type", m.type}});
            continue;
        }
        auto it = joinPids.find(m.type);
        if (it == joinPids.end() || it->second <= 0)
            return makeError(EINVAL, "cannot join {} of container {}: not resolved at start",
                             m.label, other);
        ns.push_back(
            {{"type", m.type}, {"path", fmt::format("/proc/{}/ns/{}", it->second, m.type)}});
    }
    return okStatus();
}

bool ownsUtsNamespace(const Json& hc) {
    std::string mode = modeOf(hc, "UTSMode");
    return mode != "host" && joinedContainer(mode).empty();
}

}  // namespace berth::engine
