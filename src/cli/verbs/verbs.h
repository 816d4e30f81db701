// The verbs of `berth`, one factory per file in this folder; commands.cpp puts them in the tree.
#pragma once

#include "cli/command.h"

namespace berth::cli {

// Containers (top-level and `berth container ...`).
Command cmdAttach();
Command cmdCommit();
Command cmdCp();
Command cmdCreate();
Command cmdDiff();
Command cmdExec();
Command cmdExport();
Command cmdContainerInspect();
Command cmdKill();
Command cmdLogs();
Command cmdPs();
Command cmdPause();
Command cmdUnpause();
Command cmdPort();
Command cmdContainerPrune();
Command cmdRename();
Command cmdRestart();
Command cmdRm();
Command cmdRun();
Command cmdStart();
Command cmdStats();
Command cmdStop();
Command cmdTop();
Command cmdUpdate();
Command cmdWait();

// Images.
Command cmdBuild();
Command cmdHistory();
Command cmdImport();
Command cmdImageInspect();
Command cmdLoad();
Command cmdImages();
Command cmdImagePrune();
Command cmdPull();
Command cmdPush();
Command cmdRmi();
Command cmdSave();
Command cmdTag();
Command cmdLogin();
Command cmdLogout();
Command cmdSearch();

// Networks and volumes (management commands with their subcommands).
Command cmdNetwork();
Command cmdVolume();

// System.
Command cmdInspect();  // any object, --type
Command cmdVersion();
Command cmdInfo();
Command cmdEvents();
Command cmdSystemDf();
Command cmdSystemPrune();
Command cmdCompletion();

}  // namespace berth::cli
