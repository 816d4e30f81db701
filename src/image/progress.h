// Progress of pulls, pushes, loads and builds, as the events behind docker's JSON messages:
// {"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"a1b2c3d4e5f6"}.
// The image layer emits events; renderers turn them into docker-style bars on a terminal,
// plain lines otherwise, or the Engine API's JSON stream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"

namespace berth::image {

struct ProgressEvent {
    std::string id;      // short layer/blob id ("a1b2c3d4e5f6"), empty for a whole-operation line
    std::string status;  // "Pulling fs layer", "Downloading", "Extracting", "Pull complete", ...
    int64_t current = -1;  // bytes, -1 when not a byte count
    int64_t total = -1;
    std::string error;   // set for an error message (errorDetail)
    std::string stream;  // build output ("Step 1/5 : FROM busybox\n"); status empty then
    std::string aux;     // raw JSON for "aux" ({"ID":"sha256:..."}), build and push results
};

// Thread-safe: the image layer emits from download/unpack threads.
class Progress {
public:
    virtual ~Progress() = default;
    virtual void emit(const ProgressEvent& e) = 0;
};

// Discards everything.
class NullProgress final : public Progress {
public:
    void emit(const ProgressEvent&) override {}
};

using WriteFn = std::function<Status(std::string_view)>;

// Docker's JSON messages, one object per line ("\r\n"-free, each ends with "\n").
std::unique_ptr<Progress> makeJsonProgress(WriteFn out);
// Docker-style bars redrawn in place (ANSI) on a terminal of `width` columns, or plain lines
// ("a1b2c3d4e5f6: Pull complete") when !tty; both write to `out`.
std::unique_ptr<Progress> makeTextProgress(WriteFn out, bool tty, int width = 80);
// One JSON message to text (used by the CLI on the API's stream).
std::string progressEventJson(const ProgressEvent& e);
Result<ProgressEvent> parseProgressEventJson(std::string_view line);

}  // namespace berth::image
