// The per-connection loop: Beast parses each request (headers, then the body pulled by the
// handler through a buffer_body parser), the router picks the handler, and ExchangeImpl
// writes its answer; keep-alive until the client closes, a handler hijacks, or the server
// stops.
#include "api/serve.h"

#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <limits>

#include "api/conn.h"
#include "api/exchange_impl.h"
#include "api/metrics.h"
#include "common/log.h"

namespace berth::api {

namespace {

int hexVal(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string pctDecode(std::string_view s, bool plusIsSpace) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '%' && i + 2 < s.size() && hexVal(s[i + 1]) >= 0 && hexVal(s[i + 2]) >= 0) {
            out += static_cast<char>(hexVal(s[i + 1]) * 16 + hexVal(s[i + 2]));
            i += 2;
        } else if (plusIsSpace && s[i] == '+') {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

void parseQuery(std::string_view qs, Request& r) {
    while (!qs.empty()) {
        auto amp = qs.find('&');
        auto part = qs.substr(0, amp);
        qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        auto k = pctDecode(part.substr(0, eq), true);
        auto v =
            eq == std::string_view::npos ? std::string() : pctDecode(part.substr(eq + 1), true);
        r.query[k].push_back(std::move(v));
    }
}

// "x.y" -> comparable pair.
std::pair<int, int> verPair(std::string_view v) {
    int a = 0, b = 0;
    auto dot = v.find('.');
    for (char c : v.substr(0, dot)) a = a * 10 + (c - '0');
    if (dot != std::string_view::npos)
        for (char c : v.substr(dot + 1)) b = b * 10 + (c - '0');
    return {a, b};
}

Status drainBody(ExchangeImpl& ex) {
    char tmp[16384];
    size_t total = 0;
    for (;;) {
        auto n = TRY(ex.readBody(tmp, sizeof tmp));
        if (n == 0) return {};
        total += n;
        if (total > (64u << 20)) return Error{EMSGSIZE, "unread request body too large"};
    }
}

}  // namespace

void serveConnection(ConnState& st, Conn& c) {
    if (auto hs = c.handshake(); !hs) {
        log::debug("api tls-handshake peer={} error={:?}", c.peer, hs.error().str());
        return;
    }
    boost::beast::flat_buffer buf;
    BeastStream s{c};
    for (;;) {
        Parser p;
        p.header_limit(1 << 20);  // X-Registry-Config carries every credential
        p.body_limit(std::numeric_limits<uint64_t>::max());
        st.busy->store(false);
        error_code ec;
        http::read_header(s, buf, p, ec);
        if (ec) return;  // EOF, reset, or a malformed request (Beast already gave up)
        st.busy->store(true);
        auto t0 = std::chrono::steady_clock::now();
        auto& h = p.get();

        Request r;
        r.method = std::string(h.method_string());
        std::string_view target(h.target().data(), h.target().size());
        auto qpos = target.find('?');
        r.path = pctDecode(target.substr(0, qpos), false);
        if (qpos != std::string_view::npos) parseQuery(target.substr(qpos + 1), r);
        for (auto& f : h) {
            std::string k(f.name_string());
            for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            r.headers[k] = std::string(f.value());
        }
        r.apiVersion = kApiVersion;
        std::string versionError;
        if (r.path.size() > 3 && r.path.compare(0, 2, "/v") == 0 &&
            std::isdigit(static_cast<unsigned char>(r.path[2]))) {
            auto slash = r.path.find('/', 2);
            std::string v = r.path.substr(2, slash == std::string::npos ? slash : slash - 2);
            r.path = slash == std::string::npos ? "/" : r.path.substr(slash);
            r.apiVersion = v;
            if (verPair(v) < verPair(kMinApiVersion))
                versionError = fmt::format(
                    "client version {} is too old. Minimum supported API version is {}, please "
                    "upgrade your client to a newer version",
                    v, kMinApiVersion);
            else if (verPair(v) > verPair(kApiVersion))
                versionError =
                    fmt::format("client version {} is too new. Maximum supported API version is {}",
                                v, kApiVersion);
        }
        if (r.path.size() > 1 && r.path.back() == '/') r.path.pop_back();

        bool known = false;
        const Route* route = st.router->match(r.method, r.path, r.params, known);
        ExchangeImpl ex(st, c, buf, p, std::move(r));
        if (!versionError.empty()) {
            (void)ex.sendError(400, versionError);
        } else if (!route) {
            (void)ex.sendError(known ? 405 : 404, known ? "method not allowed" : "page not found");
        } else {
            Status res;
            try {
                res = route->handler(*st.ctx, ex);
            } catch (const std::exception& e) {
                // nlohmann::json type errors on odd bodies end here: a bad request.
                res = Error{EINVAL, fmt::format("invalid request: {}", e.what()), true};
            }
            if (!res) {
                if (!ex.responseStarted()) {
                    (void)ex.sendError(res.error());
                } else if (ex.chunkedOpen()) {
                    // Mid-stream: docker's error message in the stream, then its end.
                    (void)writeStreamError(ex, res.error());
                }
                if (!ex.broken() && !ex.hijacked())
                    log::debug("api: {} {}: {}", ex.req().method, ex.req().path, res.error().str());
            }
            if (!ex.responseStarted()) (void)ex.sendNoContent(204);
            if (ex.chunkedOpen()) (void)ex.endStream();
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        st.ctx->metrics.observe(ex.req().method, ex.status(), secs);
        log::debug("api: {} {}{} -> {} ({:.1f} ms)", ex.req().method, ex.req().path,
                   ex.req().query.empty() ? "" : "?..", ex.status(), secs * 1000);
        if (ex.hijacked() || ex.broken() || !p.get().keep_alive() || st.stopping->load()) return;
        if (!p.is_done() && !drainBody(ex)) return;
    }
}

}  // namespace berth::api
