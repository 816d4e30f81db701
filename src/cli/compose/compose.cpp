// `berth compose`: the management command, its own options and its verbs.
#include "cli/compose/session.h"
#include "cli/compose/verbs.h"

namespace berth::cli::compose {

Command cmdCompose() {
    Command c;
    c.name = "compose";
    c.shortHelp = "Define and run multi-container applications";
    c.longHelp = "Define and run multi-container applications with Berth";
    c.group = "management";
    c.flags = defineProjectFlags;
    c.subs = {cmdBuild(), cmdConfig(), cmdCreate(),  cmdDown(),  cmdExec(),   cmdImages(),
              cmdKill(),  cmdLogs(),   cmdLs(),      cmdPause(), cmdPort(),   cmdPs(),
              cmdPull(),  cmdPush(),   cmdRestart(), cmdRm(),    cmdRun(),    cmdStart(),
              cmdStop(),  cmdTop(),    cmdUnpause(), cmdUp(),    cmdVersion()};
    return c;
}

}  // namespace berth::cli::compose
