// The command tree of `berth`: verbs and management commands, their flags, help text and
// dispatch. Each verb lives in its own file under verbs/ and returns its definition from a
// function listed in commands.cpp (an explicit table, no static registration).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "common/result.h"

namespace berth::cli {

class Ctx;

// Exit codes as docker's: 125 for the CLI's own errors (bad flags, daemon errors in run/create
// before the container starts), 126/127 when the command cannot be invoked / found.
constexpr int kExitCliError = 125;

struct Command;
using RunFn = std::function<Result<int>(Ctx&, const Flags&)>;

struct Command {
    std::string name;
    std::vector<std::string> aliases;  // other names at the same level ("ls" -> "list", "ps")
    std::string use;                   // after the name: "[OPTIONS] IMAGE [COMMAND] [ARG...]"
    std::string shortHelp;             // one line, for command lists
    std::string longHelp;              // optional, shown under Usage in --help
    std::string group;                 // in `berth --help`: "common", "management", "" (other)
    std::function<void(Flags&)> flags;
    RunFn run;  // empty for a management command (has subs)
    int minArgs = 0;
    int maxArgs = -1;          // -1: unbounded
    bool interspersed = true;  // false: flags end at the first positional (run, exec)
    std::vector<Command> subs;
    // Filled while building the tree: the other full paths that run the same verb
    // ("berth container ls", "berth ps"), shown as "Aliases:" in help.
    std::vector<std::string> aliasPaths;
    bool hidden = false;
};

// The whole tree (root = `berth`).
const Command& rootCommand();

// Runs `berth <argv...>` and returns the process's exit code.
int runMain(int argc, char** argv);

// Runs the top-level verb `verb` (e.g. "exec", "start") with `args` (its flags and arguments,
// parsed as on the command line) in `ctx`: how `berth compose exec` reuses `berth exec`.
Result<int> invokeVerb(Ctx& ctx, std::string_view verb, const std::vector<std::string>& args);

// Levenshtein distance, for "did you mean" suggestions.
size_t editDistance(std::string_view a, std::string_view b);

// Help of a command: "Usage:  berth ps [OPTIONS]\n\n..." (path is "berth ps").
std::string helpText(const Command& c, const std::string& path);

}  // namespace berth::cli
