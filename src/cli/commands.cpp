// The command tree: an explicit table of the verbs (verbs/*.cpp), the management commands that
// group them (`berth container ls` == `berth ps`), and the alias paths shown in help.
#include <algorithm>

#include "cli/compose/verbs.h"
#include "cli/verbs/verbs.h"

namespace berth::cli {

namespace {

Command renamed(Command c, std::string name, std::vector<std::string> aliases) {
    c.name = std::move(name);
    c.aliases = std::move(aliases);
    return c;
}

Command group(std::string name, std::string help, std::vector<Command> subs) {
    Command g;
    g.name = std::move(name);
    g.shortHelp = std::move(help);
    g.subs = std::move(subs);
    return g;
}

Command common(Command c) {
    c.group = "common";
    return c;
}

// Every path that reaches the same verb (matched by short help + use) is listed as an alias.
void collectPaths(Command& c, const std::string& path,
                  std::vector<std::pair<Command*, std::string>>& out) {
    for (auto& s : c.subs) {
        std::string p = path + " " + s.name;
        if (s.run) {
            out.emplace_back(&s, p);
            for (auto& a : s.aliases) out.emplace_back(&s, path + " " + a);
        }
        collectPaths(s, p, out);
    }
}

Command build() {
    Command root;
    root.name = "berth";
    root.shortHelp = "A self-sufficient runtime for containers";
    root.subs = {
        common(cmdRun()),
        common(cmdExec()),
        common(cmdPs()),
        common(cmdBuild()),
        common(cmdPull()),
        common(cmdPush()),
        common(cmdImages()),
        common(cmdLogin()),
        common(cmdLogout()),
        common(cmdSearch()),
        common(cmdVersion()),
        common(cmdInfo()),
        group("container", "Manage containers",
              {cmdAttach(),
               cmdCommit(),
               cmdCp(),
               cmdCreate(),
               cmdDiff(),
               cmdExec(),
               cmdExport(),
               renamed(cmdContainerInspect(), "inspect", {}),
               cmdKill(),
               cmdLogs(),
               renamed(cmdPs(), "ls", {"list", "ps"}),
               cmdPause(),
               cmdPort(),
               cmdContainerPrune(),
               cmdRename(),
               cmdRestart(),
               renamed(cmdRm(), "rm", {"remove"}),
               cmdRun(),
               cmdStart(),
               cmdStats(),
               cmdStop(),
               cmdTop(),
               cmdUnpause(),
               cmdUpdate(),
               cmdWait()}),
        group("image", "Manage images",
              {cmdBuild(), cmdHistory(), cmdImport(), renamed(cmdImageInspect(), "inspect", {}),
               cmdLoad(), renamed(cmdImages(), "ls", {"list"}), cmdImagePrune(), cmdPull(),
               cmdPush(), renamed(cmdRmi(), "rm", {"remove"}), cmdSave(), cmdTag()}),
        compose::cmdCompose(),
        cmdNetwork(),
        cmdVolume(),
        group("system", "Manage Berth", {cmdSystemDf(), cmdEvents(), cmdInfo(), cmdSystemPrune()}),
        cmdAttach(),
        cmdCommit(),
        cmdCp(),
        cmdCreate(),
        cmdDiff(),
        cmdEvents(),
        cmdExport(),
        cmdHistory(),
        cmdImport(),
        cmdInspect(),
        cmdKill(),
        cmdLoad(),
        cmdLogs(),
        cmdPause(),
        cmdPort(),
        cmdRename(),
        cmdRestart(),
        cmdRm(),
        cmdRmi(),
        cmdSave(),
        cmdStart(),
        cmdStats(),
        cmdStop(),
        cmdTag(),
        cmdTop(),
        cmdUnpause(),
        cmdUpdate(),
        cmdWait(),
        cmdCompletion(),
    };
    // Alias paths: verbs with the same use line and help are one verb under several names.
    std::vector<std::pair<Command*, std::string>> all;
    collectPaths(root, "berth", all);
    for (auto& [c, p] : all) {
        if (!c->aliasPaths.empty()) continue;  // done through another of its names
        for (auto& [c2, p2] : all)
            if (c2->shortHelp == c->shortHelp && c2->use == c->use &&
                std::find(c->aliasPaths.begin(), c->aliasPaths.end(), p2) == c->aliasPaths.end())
                c->aliasPaths.push_back(p2);
        // docker lists the management forms first ("berth container ls, ..., berth ps").
        std::stable_sort(c->aliasPaths.begin(), c->aliasPaths.end(),
                         [](const std::string& a, const std::string& b) {
                             return std::count(a.begin(), a.end(), ' ') >
                                    std::count(b.begin(), b.end(), ' ');
                         });
        if (c->aliasPaths.size() == 1) c->aliasPaths.clear();  // only itself
        for (auto& [c2, p2] : all)
            if (c2 != c && c2->shortHelp == c->shortHelp && c2->use == c->use)
                c2->aliasPaths = c->aliasPaths;
    }
    return root;
}

}  // namespace

const Command& rootCommand() {
    static const Command root = build();
    return root;
}

}  // namespace berth::cli
