// docker's JSON message stream (pull, push, load, build, import): concatenated objects
// {"status","id","progress","progressDetail":{"current","total"}}, {"stream"}, {"aux"},
// {"errorDetail":{"message"},"error"}, rendered as docker's pkg/jsonmessage does: on a
// terminal one line per layer id, updated in place with the progress bar; elsewhere plain
// lines, progress updates left out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::cli {

struct JsonMessageOptions {
    int outFd = 1;
    bool quiet = false;     // print nothing: only errors and aux are recorded (pull -q, build -q)
    bool terminal = false;  // ANSI cursor movement and progress bars
    int width = 0;          // columns for the bar; 0: outFd's width (200 when unknown)
    int64_t nowSec = 0;     // clock for the time left; 0: the real one (tests pin it)
    // Each {"aux": ...} object's aux value (build's {"ID"}, push's {"Tag","Digest","Size"}).
    std::function<void(const nlohmann::json&)> onAux;
};

class JsonMessageStream {
  public:
    explicit JsonMessageStream(JsonMessageOptions o);

    // Takes the next bytes of the body (objects may be cut anywhere). Errors: a write to
    // outFd failed, or the stream is not JSON objects. Input after an in-stream error is
    // ignored, as docker stops reading there.
    Status feed(std::string_view chunk);
    // At the end of the body: an object cut short is an error; so is a recorded in-stream
    // error (quiet, its message as docker prints it).
    Status finish();

    // The first in-stream error's message ("" when none).
    const std::string& error() const { return error_; }
    bool failed() const { return failed_; }
    // The aux values seen, as JSON text, in order.
    const std::vector<std::string>& aux() const { return aux_; }
    // The "ID" of the last aux object that had one (build: the image ID), or "".
    const std::string& auxId() const { return auxId_; }

  private:
    Status handle(std::string_view text);
    Status display(const nlohmann::json& m, bool hasProgress);
    Status out(std::string_view s);
    int width() const;

    JsonMessageOptions o_;
    std::string buf_;  // an object cut by the chunk end (starts at 0)
    size_t scan_ = 0;  // buf_[0, scan_) already scanned
    int depth_ = 0;    // braces/brackets open
    bool inStr_ = false, esc_ = false;
    std::map<std::string, unsigned> ids_;  // layer id -> its line (terminal)
    std::string error_;
    bool failed_ = false;
    std::vector<std::string> aux_;
    std::string auxId_;
};

// docker's JSONProgress.String(): "[=====>      ]  12.3MB/45.6MB 5s" (the bar only when
// width > 110, the time left only with start > 0, width > 50 and not yet done).
struct Progress {
    int64_t current = 0, total = 0, start = 0;
    bool hideCounts = false;
    std::string units;
};
std::string formatProgress(const Progress& p, int width, int64_t nowSec);

}  // namespace berth::cli
