#include "cli/ctx.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/config.h"

namespace berth::cli {

Ctx::Ctx(Globals g) : g_(std::move(g)) {}
Ctx::~Ctx() = default;

std::string Ctx::hostUrl() const {
    if (g_.host.empty()) return kDefaultHost;
    if (g_.host[0] == '/') return "unix://" + g_.host;
    return g_.host;
}

Result<Client*> Ctx::client() {
    if (client_) return client_.get();
    auto c = Client::open(g_, hostUrl());
    if (!c) {
        const auto& e = c.error();
        if (e.code == ENOENT || e.code == ECONNREFUSED || e.code == EACCES ||
            e.code == EHOSTUNREACH) {
            std::string why =
                e.code == EACCES ? "permission denied (are you root?)" : "is it running?";
            return Error{e.code,
                         fmt::format("cannot reach berthd at {}: {} start it with `berthd` "
                                     "(or point BERTH_HOST / -H at a running one)",
                                     hostUrl(), why),
                         true};
        }
        return std::move(c).error().wrap("connect to berthd at " + hostUrl());
    }
    client_ = std::move(*c);
    return client_.get();
}

void Ctx::out(std::string_view s) const {
    while (!s.empty()) {
        ssize_t r = ::write(outFd, s.data(), s.size());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return;
        s.remove_prefix(static_cast<size_t>(r));
    }
}

void Ctx::err(std::string_view s) const {
    while (!s.empty()) {
        ssize_t r = ::write(errFd, s.data(), s.size());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return;
        s.remove_prefix(static_cast<size_t>(r));
    }
}

bool Ctx::outIsTerminal() const {
    return ::isatty(outFd) == 1;
}
bool Ctx::inIsTerminal() const {
    return ::isatty(inFd) == 1;
}

std::string Ctx::configPath() const {
    return g_.configDir + "/config.json";
}

std::string Ctx::registryAuthHeader(std::string_view registry) const {
    auto cfg = loadConfig(configPath());
    if (!cfg) return {};
    auto a = findAuth(*cfg, registry);
    if (!a) return {};
    nlohmann::json j = {
        {"username", a->username}, {"password", a->password}, {"serveraddress", a->server}};
    return base64UrlEncode(j.dump());
}

std::string registryOf(std::string_view ref) {
    auto slash = ref.find('/');
    if (slash == std::string_view::npos) return "docker.io";
    auto first = ref.substr(0, slash);
    if (first.find('.') == std::string_view::npos && first.find(':') == std::string_view::npos &&
        first != "localhost")
        return "docker.io";
    return std::string(first);
}

}  // namespace berth::cli
