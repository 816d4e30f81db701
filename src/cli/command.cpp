// Dispatch of `berth <verb> ...`: global options, the command tree walk, cobra-style help and
// docker's error wording and exit codes.
#include "cli/command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "cli/ctx.h"

namespace berth::cli {

namespace {

void defineGlobals(Flags& f) {
    f.string("config", 0, "", "Location of client config files (default \"~/.berth\")").noDefault();
    f.boolean("debug", 'D', "Enable debug mode");
    f.list("host", 'H', "Daemon socket to connect to");
    f.string("log-level", 'l', "info",
             "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")");
    f.boolean("tls", 0, "Use TLS; implied by --tlsverify");
    f.string("tlscacert", 0, "", "Trust certs signed only by this CA (default \"<certs>/ca.pem\")")
        .noDefault();
    f.string("tlscert", 0, "", "Path to TLS certificate file (default \"<certs>/cert.pem\")")
        .noDefault();
    f.string("tlskey", 0, "", "Path to TLS key file (default \"<certs>/key.pem\")").noDefault();
    f.boolean("tlsverify", 0, "Use TLS and verify the remote");
    f.boolean("version", 'v', "Print version information and quit");
}

std::string envOr(const char* a, const char* b) {
    if (const char* v = std::getenv(a); v && *v) return v;
    if (b)
        if (const char* v = std::getenv(b); v && *v) return v;
    return {};
}

Globals makeGlobals(const Flags& f) {
    Globals g;
    std::string home = envOr("HOME", nullptr);
    if (home.empty()) home = "/root";
    g.configDir = f.s("config");
    if (g.configDir.empty()) g.configDir = envOr("BERTH_CONFIG", nullptr);
    if (g.configDir.empty()) g.configDir = home + "/.berth";
    if (!f.l("host").empty())
        g.host = f.l("host").back();
    else
        g.host = envOr("BERTH_HOST", "DOCKER_HOST");
    std::string certs = envOr("BERTH_CERT_PATH", "DOCKER_CERT_PATH");
    if (certs.empty()) certs = g.configDir;
    g.tlsVerify = f.b("tlsverify") || !envOr("BERTH_TLS_VERIFY", "DOCKER_TLS_VERIFY").empty();
    g.tls = f.b("tls") || g.tlsVerify;
    g.tlsCaCert = f.changed("tlscacert") ? f.s("tlscacert") : certs + "/ca.pem";
    g.tlsCert = f.changed("tlscert") ? f.s("tlscert") : certs + "/cert.pem";
    g.tlsKey = f.changed("tlskey") ? f.s("tlskey") : certs + "/key.pem";
    g.debug = f.b("debug");
    g.logLevel = f.s("log-level");
    return g;
}

std::string usageLine(const Command& c, const std::string& path) {
    if (path == "berth") return "Usage:  berth [OPTIONS] COMMAND";
    if (!c.run && c.flags) return fmt::format("Usage:  {} [OPTIONS] COMMAND", path);
    if (!c.run) return fmt::format("Usage:  {} COMMAND", path);
    return c.use.empty() ? fmt::format("Usage:  {}", path)
                         : fmt::format("Usage:  {} {}", path, c.use);
}

std::string argsError(const Command& c, const std::string& path, size_t n) {
    std::string what;
    std::string see = "Run";
    auto plural = [](int k) { return k == 1 ? "argument" : "arguments"; };
    if (c.maxArgs == 0)
        what = "accepts no arguments";
    else if (c.minArgs == c.maxArgs)
        what = fmt::format("requires {} {}", c.minArgs, plural(c.minArgs));
    else if (c.maxArgs < 0) {
        what = fmt::format("requires at least {} {}", c.minArgs, plural(c.minArgs));
        see = "See";
    } else if (c.minArgs == 0)
        what = fmt::format("requires at most {} {}", c.maxArgs, plural(c.maxArgs));
    else
        what = fmt::format("requires at least {} and at most {} {}", c.minArgs, c.maxArgs,
                           plural(c.maxArgs));
    (void)n;
    return fmt::format("berth: '{}' {}\n\n{}\n\n{} '{} --help' for more information\n", path, what,
                       usageLine(c, path), see, path);
}

std::string commandList(const std::vector<const Command*>& cmds) {
    size_t w = 0;
    for (auto* c : cmds) w = std::max(w, c->name.size());
    w = std::max<size_t>(w, 10);
    std::string out;
    for (auto* c : cmds) out += fmt::format("  {:<{}}  {}\n", c->name, w, c->shortHelp);
    return out;
}

std::vector<std::string> suggestions(const Command& parent, std::string_view typed) {
    std::vector<std::pair<size_t, std::string>> scored;
    for (auto& s : parent.subs) {
        if (s.hidden) continue;
        std::vector<std::string> names{s.name};
        names.insert(names.end(), s.aliases.begin(), s.aliases.end());
        size_t best = SIZE_MAX;
        for (auto& n : names) {
            size_t d = editDistance(typed, n);
            if (n.rfind(typed, 0) == 0 && typed.size() >= 2) d = 0;  // a prefix
            best = std::min(best, d);
        }
        if (best <= 2) scored.emplace_back(best, s.name);
    }
    std::sort(scored.begin(), scored.end());
    std::vector<std::string> out;
    for (auto& [d, n] : scored) out.push_back(n);
    return out;
}

const Command* findSub(const Command& c, std::string_view name) {
    for (auto& s : c.subs) {
        if (s.name == name) return &s;
        for (auto& a : s.aliases)
            if (a == name) return &s;
    }
    return nullptr;
}

void writeErr(std::string_view s) {
    while (!s.empty()) {
        ssize_t r = ::write(2, s.data(), s.size());
        if (r <= 0) return;
        s.remove_prefix(static_cast<size_t>(r));
    }
}

void writeOut(std::string_view s) {
    while (!s.empty()) {
        ssize_t r = ::write(1, s.data(), s.size());
        if (r <= 0) return;
        s.remove_prefix(static_cast<size_t>(r));
    }
}

}  // namespace

size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); j++) {
            size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

Result<int> invokeVerb(Ctx& ctx, std::string_view verb, const std::vector<std::string>& args) {
    const Command* cmd = findSub(rootCommand(), verb);
    if (!cmd || !cmd->run) return invalid("no verb {}", verb);
    Flags f;
    if (cmd->flags) cmd->flags(f);
    TRY(f.parse(args, cmd->interspersed));
    int n = static_cast<int>(f.args().size());
    if (n < cmd->minArgs || (cmd->maxArgs >= 0 && n > cmd->maxArgs))
        return invalid("{}: wrong number of arguments", verb);
    return cmd->run(ctx, f);
}

std::string helpText(const Command& c, const std::string& path) {
    std::string out = usageLine(c, path) + "\n\n";
    out += (c.longHelp.empty() ? c.shortHelp : c.longHelp) + "\n";
    if (!c.aliasPaths.empty()) {
        out += "\nAliases:\n  ";
        for (size_t i = 0; i < c.aliasPaths.size(); i++) out += (i ? ", " : "") + c.aliasPaths[i];
        out += "\n";
    }
    if (!c.subs.empty()) {
        bool root = path == "berth";
        std::vector<const Command*> common, mgmt, other;
        for (auto& s : c.subs) {
            if (s.hidden) continue;
            if (root && s.group == "common")
                common.push_back(&s);
            else if (root && !s.run)
                mgmt.push_back(&s);
            else
                other.push_back(&s);
        }
        if (!common.empty()) out += "\nCommon Commands:\n" + commandList(common);
        if (!mgmt.empty()) out += "\nManagement Commands:\n" + commandList(mgmt);
        if (!other.empty()) out += "\nCommands:\n" + commandList(other);
    }
    Flags f;
    if (path == "berth")
        defineGlobals(f);
    else if (c.flags)
        c.flags(f);
    std::string opts = f.usageText();
    if (!opts.empty()) out += (path == "berth" ? "\nGlobal Options:\n" : "\nOptions:\n") + opts;
    if (!c.subs.empty())
        out += fmt::format("\nRun '{} COMMAND --help' for more information on a command.\n", path);
    return out;
}

int runMain(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    Flags gf;
    defineGlobals(gf);
    if (auto st = gf.parse(args, false); !st) {
        writeErr(
            fmt::format("{}\n\nUsage:  berth [OPTIONS] COMMAND\n\n"
                        "Run 'berth --help' for more information\n",
                        st.error().msg));
        return kExitCliError;
    }
    const Command& root = rootCommand();
    if (gf.b("version")) {
        writeOut(fmt::format("Berth version {}\n", kBerthVersion));
        return 0;
    }
    std::vector<std::string> rest = gf.args();
    if (gf.helpRequested() || rest.empty()) {
        writeOut(helpText(root, "berth"));
        return 0;
    }
    // `berth help [COMMAND...]`
    bool helpVerb = rest[0] == "help";
    if (helpVerb) rest.erase(rest.begin());

    const Command* cmd = &root;
    std::string path = "berth";
    // Options of a management command that has its own (`berth compose -f x.yaml up`): parsed
    // before its subcommand and handed to the verb through Ctx::parentFlags.
    Flags parentFlags;
    bool haveParentFlags = false;
    while (!rest.empty() && !cmd->subs.empty()) {
        if (cmd->flags && cmd != &root) {
            Flags pf;
            cmd->flags(pf);
            if (auto st = pf.parse(rest, false); !st) {
                writeErr(fmt::format("{}\n\n{}\n\nRun '{} --help' for more information\n",
                                     st.error().msg, usageLine(*cmd, path), path));
                return kExitCliError;
            }
            if (pf.helpRequested() || pf.args().empty()) {
                writeOut(helpText(*cmd, path));
                return 0;
            }
            rest = pf.args();
            parentFlags = std::move(pf);
            haveParentFlags = true;
        }
        if (!rest[0].empty() && rest[0][0] == '-') break;
        const Command* sub = findSub(*cmd, rest[0]);
        if (!sub) {
            if (helpVerb) break;
            std::string msg = fmt::format("berth: unknown command: {} {}\n", path, rest[0]);
            auto sug = suggestions(*cmd, rest[0]);
            if (!sug.empty()) {
                msg += "\nDid you mean this?\n";
                for (auto& s : sug) msg += "\t" + s + "\n";
            }
            msg += fmt::format("\nRun '{} --help' for more information\n", path);
            writeErr(msg);
            return 1;
        }
        cmd = sub;
        path += " " + sub->name;
        rest.erase(rest.begin());
    }
    if (helpVerb) {
        writeOut(helpText(*cmd, path));
        return 0;
    }
    if (!cmd->run) {
        // A management command without a subcommand (or with only flags): its help.
        Flags f;
        auto st = f.parse(rest);
        if (!st) {
            writeErr(fmt::format("{}\n\n{}\n\nRun '{} --help' for more information\n",
                                 st.error().msg, usageLine(*cmd, path), path));
            return kExitCliError;
        }
        writeOut(helpText(*cmd, path));
        return 0;
    }
    Flags f;
    if (cmd->flags) cmd->flags(f);
    if (auto st = f.parse(rest, cmd->interspersed); !st) {
        writeErr(fmt::format("{}\n\n{}\n\nRun '{} --help' for more information\n", st.error().msg,
                             usageLine(*cmd, path), path));
        return kExitCliError;
    }
    if (f.helpRequested()) {
        writeOut(helpText(*cmd, path));
        return 0;
    }
    int n = static_cast<int>(f.args().size());
    if (n < cmd->minArgs || (cmd->maxArgs >= 0 && n > cmd->maxArgs)) {
        writeErr(argsError(*cmd, path, f.args().size()));
        return 1;
    }
    Ctx ctx(makeGlobals(gf));
    if (haveParentFlags) ctx.parentFlags = &parentFlags;
    auto r = cmd->run(ctx, f);
    if (!r) {
        const Error& e = r.error();
        std::string msg = e.quiet || e.code == 0 ? e.msg : e.str();
        writeErr(msg + "\n");
        return 1;
    }
    return *r;
}

}  // namespace berth::cli
