// The builder's internals, shared by builder.cpp (stages, FROM, output), instructions.cpp
// (metadata steps), run_step.cpp (RUN, WORKDIR) and copy_step.cpp (COPY, ADD).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "image/build/builder.h"
#include "image/build/cache.h"
#include "image/build/container_fs.h"
#include "image/build/dockerfile.h"
#include "image/build/dockerignore.h"
#include "image/build/shell_words.h"
#include "runtime/container.h"

namespace berth::image::build {

inline const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The state of the stage being built.
struct StageState {
    size_t index = 0;
    std::string name;
    std::optional<Digest> imageId;  // none: scratch with nothing committed yet
    ContainerConfig config;
    std::string author;
    bool cmdSet = false;  // CMD given in this stage (ENTRYPOINT then keeps it)
    // Declared ARGs in order: name -> value (build arg, default or meta value; none if unset).
    std::vector<std::pair<std::string, std::optional<std::string>>> args;
};

struct StageResult {
    std::string name;
    std::optional<Digest> imageId;
    ContainerConfig config;
};

class Builder {
public:
    Builder(Service& svc, const BuildOptions& o, Progress& p);
    Result<Digest> run();

private:
    // builder.cpp
    Status prepare();
    Status buildStage(size_t index, StageState& st);
    Status stepFrom(StageState& st, const Stage& s);
    Status dispatch(StageState& st, const Instruction& in);
    Result<Image> imageFor(const std::string& ref);
    void out(std::string_view s);
    void stepDone(const StageState& st);
    // Runs a step through the cache: on a hit adopts the cached image; on a miss calls make().
    // The key covers the parent, createdBy, st.config (the step's result) and inputs.
    Status cachedStep(StageState& st, const std::string& createdBy, const std::string& inputs,
                      const std::function<Result<Image>()>& make);
    // A metadata step: st.config already holds the result; commits an empty layer.
    Status commitMeta(StageState& st, const std::string& comment);
    Result<Image> commit(const StageState& st, const std::string& upperDir,
                         const std::string& createdBy);
    void adopt(StageState& st, const Image& img);

    // instructions.cpp
    Status stepEnv(StageState& st, const Instruction& in);
    Status stepLabel(StageState& st, const Instruction& in);
    Status stepArg(StageState& st, const Instruction& in);
    Status stepCmd(StageState& st, const Instruction& in);
    Status stepEntrypoint(StageState& st, const Instruction& in);
    Status stepExpose(StageState& st, const Instruction& in);
    Status stepVolume(StageState& st, const Instruction& in);
    Status stepHealthcheck(StageState& st, const Instruction& in);
    Status stepSimple(StageState& st, const Instruction& in);  // USER STOPSIGNAL SHELL ...
    Lookup envFor(const StageState& st) const;
    Result<std::string> expand(const StageState& st, const std::string& word) const;
    std::vector<std::string> shellOf(const StageState& st) const;

    // run_step.cpp
    Status stepRun(StageState& st, const Instruction& in);
    Status stepWorkdir(StageState& st, const Instruction& in);
    Result<ContainerFs> containerFs(const StageState& st, const std::string& id);
    std::vector<std::string> runEnv(const StageState& st) const;
    std::string buildArgsPrefix(const StageState& st) const;

    // copy_step.cpp
    Status stepCopy(StageState& st, const Instruction& in);
    Result<std::optional<Digest>> copyFromImage(const StageState& st, const std::string& from);

    Service& svc_;
    const BuildOptions& o_;
    Progress& p_;
    Dockerfile df_;
    ShellLex lex_;
    IgnoreMatcher ignore_;
    UniqueFd contextFd_;
    BuildCache cache_;
    std::string workDir_;  // temp container dirs
    std::string dockerfileName_;
    runtime::Globals globals_;
    std::vector<StageResult> results_;
    std::vector<std::pair<std::string, std::optional<std::string>>> metaArgs_;
    std::set<std::string> usedArgs_;
    size_t targetStage_ = 0;
    int step_ = 0, totalSteps_ = 0;
};

// Proxy variables usable as build args without an ARG (kept out of history).
bool isProxyArg(const std::string& name);

}  // namespace berth::image::build
