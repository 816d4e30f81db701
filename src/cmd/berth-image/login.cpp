// berth-image login [-u user] [-p pass | --password-stdin] [SERVER]; berth-image logout [SERVER]
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"

namespace berth::imgcli {

namespace {

std::string readLine(bool echo) {
    termios old{};
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty && !echo) {
        termios t = old;
        t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty && !echo) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fprintf(stderr, "\n");
    }
    return line;
}

}  // namespace

void addLogin(CLI::App& app, Context& ctx) {
    auto* c = app.add_subcommand("login", "log in to a registry (credentials in the auth file)");
    struct Opts {
        std::string server, user, password;
        bool passwordStdin = false;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("server", o->server, "registry (host[:port]); default docker.io");
    c->add_option("-u,--username", o->user, "username");
    auto* pw = c->add_option("-p,--password", o->password, "password");
    c->add_flag("--password-stdin", o->passwordStdin, "read the password from stdin")->excludes(pw);
    c->callback([&ctx, o] {
        bool interactive = isatty(STDIN_FILENO) != 0;
        if (!o->password.empty())
            fprintf(stderr,
                    "WARNING! Using --password via the CLI is insecure. Use "
                    "--password-stdin.\n");
        if (o->passwordStdin) {
            if (o->user.empty())
                return ctx.fail(invalid("login: --password-stdin needs --username"));
            std::string all((std::istreambuf_iterator<char>(std::cin)),
                            std::istreambuf_iterator<char>());
            while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
            o->password = all;
        } else {
            if (o->user.empty() && interactive) {
                fprintf(stderr, "Username: ");
                o->user = readLine(true);
            }
            if (o->password.empty() && interactive) {
                fprintf(stderr, "Password: ");
                o->password = readLine(false);
            }
        }
        if (o->user.empty()) return ctx.fail(invalid("login: a username is required (-u)"));
        if (o->password.empty()) return ctx.fail(invalid("login: a password is required"));
        auto r = ctx.service().login(o->server, o->user, o->password);
        if (!r) return ctx.fail(r.error());
        printf("%s\n", r->c_str());
    });

    auto* lo = app.add_subcommand("logout", "log out from a registry (remove stored credentials)");
    auto server = std::make_shared<std::string>();
    lo->add_option("server", *server, "registry (host[:port]); default docker.io");
    lo->callback([&ctx, server] {
        auto s = ctx.service().logout(*server);
        if (!s && s.error().code == ENOENT) {
            printf("%s\n", s.error().msg.c_str());  // docker: not an error
            return;
        }
        if (!s) return ctx.fail(s.error());
        printf("Removing login credentials for %s\n",
               server->empty() ? "https://index.docker.io/v1/" : server->c_str());
    });
}

}  // namespace berth::imgcli
