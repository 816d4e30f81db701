// berth-image's command line: one file per verb, each a thin layer over image::Service.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "common/result.h"
#include "image/service.h"

namespace berth::imgcli {

struct Context {
    image::ServiceOptions opts;
    int exitCode = 0;
    std::unique_ptr<image::Service> svc;
    // Opens the service on first use (after flags are parsed); exits on error.
    image::Service& service();
    // Prints "berth-image: <error>" to stderr and sets exit code 1.
    void fail(const Error& e);
    void check(const Status& s) {
        if (!s) fail(s.error());
    }
    // Progress on stderr: bars on a terminal, plain lines otherwise.
    std::unique_ptr<image::Progress> progress(bool quiet = false);
};

// registry
void addPull(CLI::App& app, Context& ctx);
void addPush(CLI::App& app, Context& ctx);
void addLogin(CLI::App& app, Context& ctx);  // login and logout
// build and run
void addBuild(CLI::App& app, Context& ctx);
void addRun(CLI::App& app, Context& ctx);
// transfer
void addLoad(CLI::App& app, Context& ctx);
void addSave(CLI::App& app, Context& ctx);
void addImport(CLI::App& app, Context& ctx);
// local images
void addImages(CLI::App& app, Context& ctx);   // images, inspect, history
void addTagRmi(CLI::App& app, Context& ctx);   // tag, rmi, prune, df

}  // namespace berth::imgcli
