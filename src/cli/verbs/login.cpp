// `berth login`: check credentials with the daemon (POST /auth), then store them in
// ~/.berth/config.json, in docker's format, for pull and push.
#include <termios.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/config.h"
#include "cli/verbs/image_io.h"
#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

std::string readLine(int fd) {
    std::string s;
    char c;
    while (::read(fd, &c, 1) == 1 && c != '\n') s += c;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    return s;
}

// Reads a password from the terminal without echo.
std::string readSecret(Ctx& ctx) {
    termios old{};
    bool restore = ::tcgetattr(ctx.inFd, &old) == 0;
    if (restore) {
        termios t = old;
        t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(ctx.inFd, TCSANOW, &t);
    }
    std::string s = readLine(ctx.inFd);
    if (restore) ::tcsetattr(ctx.inFd, TCSANOW, &old);
    ctx.out("\n");
    return s;
}

Result<int> runLogin(Ctx& ctx, const Flags& f) {
    std::string user = f.s("username"), pass = f.s("password");
    bool stdinPass = f.b("password-stdin");
    if (!pass.empty() && stdinPass)
        return invalid("conflicting options: cannot specify both --password and --password-stdin");
    if (stdinPass && user.empty())
        return invalid("the --password-stdin option requires --username to be set");
    if (!pass.empty())
        ctx.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    if (stdinPass) {
        pass = TRY(readAll(ctx.inFd));
        while (!pass.empty() && (pass.back() == '\n' || pass.back() == '\r')) pass.pop_back();
    }
    std::string server = f.args().empty() ? "docker.io" : f.args()[0];
    std::string key = authKey(server);
    if (user.empty() || pass.empty()) {
        if (!ctx.inIsTerminal())
            return invalid("Error: Cannot perform an interactive login from a non TTY device");
        if (user.empty()) {
            ctx.out("Username: ");
            user = readLine(ctx.inFd);
            if (user.empty()) return invalid("Error: Non-null Username Required");
        }
        if (pass.empty()) {
            ctx.out("Password: ");
            pass = readSecret(ctx);
            if (pass.empty()) return invalid("Error: Password Required");
        }
    }
    nlohmann::json body = {{"username", user}, {"password", pass}, {"serveraddress", key}};
    TRY(apiPost(ctx, "/auth", body));

    auto cfg = TRY(loadConfig(ctx.configPath()));
    auto prev = findAuth(cfg, key);
    bool changed = !prev || prev->username != user || prev->password != pass;
    storeAuth(cfg, AuthEntry{key, user, pass});
    TRY(saveConfig(ctx.configPath(), cfg));
    if (changed)
        ctx.err(
            fmt::format("\nWARNING! Your credentials are stored unencrypted in '{}'.\n"
                        "Configure a credential helper to remove this warning. See\n"
                        "https://docs.docker.com/go/credential-store/\n\n",
                        ctx.configPath()));
    ctx.out("Login Succeeded\n");
    return 0;
}

}  // namespace

Command cmdLogin() {
    Command c;
    c.name = "login";
    c.use = "[OPTIONS] [SERVER]";
    c.shortHelp = "Authenticate to a registry";
    c.longHelp = "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.";
    c.minArgs = 0;
    c.maxArgs = 1;
    c.flags = [](Flags& f) {
        f.string("password", 'p', "", "Password or Personal Access Token (PAT)");
        f.boolean("password-stdin", 0,
                  "Take the Password or Personal Access Token (PAT) from stdin");
        f.string("username", 'u', "", "Username");
    };
    c.run = runLogin;
    return c;
}

}  // namespace berth::cli
