// Handing the seccomp notify listener to the agent at linux.seccomp.listenerPath.
#include <nlohmann/json.hpp>

#include "common/unix_socket.h"
#include "runtime/seccomp.h"

namespace berth::seccomp {

Status sendListener(const std::string& path, int listenerFd, const std::string& stateJson) {
    auto sock = TRY_CTX(sys::connectUnix(path), "seccomp listener");
    TRY_CTX(sys::sendWithFd(sock.get(), stateJson, listenerFd), "seccomp listener {}", path);
    return okStatus();
}

Result<std::string> processStateJson(std::string_view stateJson, int pid,
                                     const std::string& metadata) {
    nlohmann::json state = nlohmann::json::parse(stateJson, nullptr, false);
    if (state.is_discarded() || !state.is_object())
        return invalid("seccomp listener state: not a JSON object");
    nlohmann::json out;
    out["ociVersion"] = state.value("ociVersion", std::string("1.0.2"));
    out["fds"] = nlohmann::json::array({"seccompFd"});
    out["pid"] = pid;
    if (!metadata.empty()) out["metadata"] = metadata;
    out["state"] = std::move(state);
    return out.dump();
}

}  // namespace berth::seccomp
