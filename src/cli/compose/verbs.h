// The verbs of `berth compose`, grouped by file: lifecycle (cmd_lifecycle.cpp), information
// (cmd_info.cpp), exec/run (cmd_exec.cpp) and images (cmd_images.cpp).
#pragma once

#include "cli/command.h"

namespace berth::cli::compose {

// The `compose` management command with all of them.
Command cmdCompose();

Command cmdUp();
Command cmdDown();
Command cmdCreate();
Command cmdStart();
Command cmdStop();
Command cmdRestart();
Command cmdKill();
Command cmdRm();
Command cmdPause();
Command cmdUnpause();

Command cmdPs();
Command cmdLs();
Command cmdLogs();
Command cmdConfig();
Command cmdImages();
Command cmdTop();
Command cmdPort();
Command cmdVersion();

Command cmdExec();
Command cmdRun();

Command cmdBuild();
Command cmdPull();
Command cmdPush();

}  // namespace berth::cli::compose
