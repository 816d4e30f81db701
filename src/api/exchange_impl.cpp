// ExchangeImpl's out-of-line parts: the hijack handshake.
#include <cctype>

#include "api/exchange_impl.h"

namespace berth::api {

Status ExchangeImpl::hijack(std::string_view ct, int fd) {
    TRY(hijackBegin(ct));
    return hijackPump(fd, {});
}

Status ExchangeImpl::hijackBegin(std::string_view ct) {
    if (started_) return Error{EALREADY, "response already started"};
    // The body (exec start's JSON) was read by the handler; what Beast buffered past it is the
    // client's first stdin bytes.
    started_ = true;
    hijacked_ = true;
    bool upgrade = false;
    auto conn = r_.header("connection"), up = r_.header("upgrade");
    for (auto& ch : conn) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (conn.find("upgrade") != std::string::npos && !up.empty()) upgrade = true;
    std::string head;
    if (upgrade) {
        status_ = 101;
        head = fmt::format(
            "HTTP/1.1 101 UPGRADED\r\nContent-Type: {}\r\nConnection: Upgrade\r\n"
            "Upgrade: tcp\r\nApi-Version: {}\r\nServer: Berth/{} (linux)\r\n\r\n",
            ct, kApiVersion, kServerVersion);
    } else {
        status_ = 200;
        head = fmt::format(
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nApi-Version: {}\r\n"
            "Server: Berth/{} (linux)\r\n\r\n",
            ct, kApiVersion, kServerVersion);
    }
    TRY_CTX(c_.writeAll(head), "hijack");
    return okStatus();
}

Status ExchangeImpl::hijackPump(int fd, std::string_view detachKeys,
                                std::function<void()> beforeEof) {
    std::string early(static_cast<const char*>(buf_.data().data()), buf_.size());
    buf_.consume(buf_.size());
    // A hijacked stream is as idle as a keep-alive connection for a stopping server: it is
    // cut at once rather than holding the shutdown for the grace period.
    st_.busy->store(false);
    HijackOptions o{early, st_.stopping, std::string(detachKeys), std::move(beforeEof)};
    TRY(copyHijacked(c_, fd, o));
    return okStatus();
}

}  // namespace berth::api
