// The Dockerfile builder (docker's classic builder): every step commits an image (metadata-only
// steps as empty layers), RUN runs in a container through the runtime library, and a layer
// cache keyed on the parent image, the step and its inputs skips steps already built.
//
// Output goes to Progress as stream events in docker's style ("Step 1/7 : FROM busybox\n",
// " ---> Using cache\n", " ---> 1a2b3c4d5e6f\n", RUN output, "Successfully built ..\n"), and
// the final image ID as an aux event {"ID":"sha256:.."}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/digest.h"
#include "image/progress.h"
#include "image/service.h"

namespace berth::image::build {

struct BuildOptions {
    std::string contextDir;
    // Relative to the context (or absolute); empty: Dockerfile, else Containerfile.
    std::string dockerfile;
    std::optional<std::string> dockerfileText;  // the Dockerfile itself (`-f -`), if not a file
    std::vector<std::string> tags;  // "x", "x:1", "localhost:5000/x:1"
    std::map<std::string, std::string> buildArgs;
    std::string target;  // stop after this stage (name or index)
    bool noCache = false;
    bool quiet = false;                         // only the aux event (the CLI prints the ID)
    std::map<std::string, std::string> labels;  // added to the final image (as a LABEL step)
    std::string network = "none";               // RUN: "none" (an empty namespace) or "host"
    bool pull = false;                          // always pull FROM images (else only when missing)
    std::string cgroupParent = "berth-build";
};

Result<Digest> build(Service& svc, const BuildOptions& o, Progress& p);

}  // namespace berth::image::build
