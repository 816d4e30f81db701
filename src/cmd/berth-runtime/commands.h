// berth-runtime's command line: runc's verbs and flags, one file per verb, each a thin layer
// over the runtime library.
#pragma once

#include <CLI/CLI.hpp>

#include "common/result.h"
#include "runtime/container.h"

namespace berth::cli {

struct Context {
    runtime::Globals g;
    int exitCode = 0;
    // Reports an error (stderr and --log) and sets the exit code to 1.
    void fail(const Error& e);
    // Helper for verbs whose result is a Status.
    void check(const Status& s) {
        if (!s) fail(s.error());
    }
};

void addCreate(CLI::App& app, Context& ctx);
void addStart(CLI::App& app, Context& ctx);
void addRun(CLI::App& app, Context& ctx);
void addState(CLI::App& app, Context& ctx);
void addKill(CLI::App& app, Context& ctx);
void addDelete(CLI::App& app, Context& ctx);
void addExec(CLI::App& app, Context& ctx);
void addSpec(CLI::App& app, Context& ctx);
void addList(CLI::App& app, Context& ctx);
void addPs(CLI::App& app, Context& ctx);
void addPauseResume(CLI::App& app, Context& ctx);
void addUpdate(CLI::App& app, Context& ctx);
void addFeatures(CLI::App& app, Context& ctx);

// --bundle/--console-socket/--pid-file/--no-pivot/--no-new-keyring/--preserve-fds, shared by
// create and run.
void addCreateFlags(CLI::App* cmd, runtime::CreateOptions& o);

}  // namespace berth::cli
