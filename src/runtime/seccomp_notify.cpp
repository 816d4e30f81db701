// Handing the seccomp notify listener to the agent at linux.seccomp.listenerPath.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/seccomp.h"

namespace berth::seccomp {

Status sendListener(const std::string& path, int listenerFd, const std::string& stateJson) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return invalid("seccomp listener path \"{}\": empty or longer than {} bytes", path,
                       sizeof addr.sun_path - 1);
    // SCM_RIGHTS needs at least one byte of payload on a stream socket.
    if (stateJson.empty()) return invalid("seccomp listener {}: empty state", path);
    std::memcpy(addr.sun_path, path.data(), path.size());

    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) return errnoError("seccomp listener {}: socket", path);
    int rc;
    do {
        rc = ::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return errnoError("seccomp listener {}: connect", path);

    struct iovec iov = {const_cast<char*>(stateJson.data()), stateJson.size()};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &listenerFd, sizeof(int));

    ssize_t n;
    do {
        n = ::sendmsg(sock.get(), &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errnoError("seccomp listener {}: sendmsg", path);
    // The fd went with the first chunk; a short write only leaves plain bytes to send.
    size_t off = static_cast<size_t>(n);
    while (off < stateJson.size()) {
        n = ::send(sock.get(), stateJson.data() + off, stateJson.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errnoError("seccomp listener {}: send", path);
        off += static_cast<size_t>(n);
    }
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
