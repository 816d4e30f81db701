// The client side of docker's streams: the 8-byte multiplexed frames (attach/exec without a
// TTY, logs), the detach key watch, and the copy loop of a hijacked attach/exec connection.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "cli/conn.h"
#include "common/detach_keys.h"
#include "common/result.h"

namespace berth::cli {

// docker's default detach sequence.
constexpr const char* kDefaultDetachKeys = "ctrl-p,ctrl-q";

// Splits docker's multiplexed stream ([stream, 0, 0, 0, length BE32] + payload, frames cut
// anywhere across feeds) into its streams: 0 (stdin echo) and 1 go to stdout, 2 to stderr;
// a stream-3 frame is the daemon's error, returned by feed() as
// "error from daemon in stream: <msg>".
class FrameDemuxer {
  public:
    // Payload pieces as they arrive (a frame may come in several calls); an error stops feed().
    using Sink = std::function<Status(int stream, std::string_view data)>;
    explicit FrameDemuxer(Sink sink) : sink_(std::move(sink)) {}
    // Writes stdout/stdin payloads to outFd, stderr payloads to errFd.
    FrameDemuxer(int outFd, int errFd);

    Status feed(std::string_view d);
    // No frame is cut in the middle (a stream ending otherwise was cut short).
    bool atFrameBoundary() const { return hdrLen_ == 0 && left_ == 0; }

  private:
    Sink sink_;
    unsigned char hdr_[8] = {};
    size_t hdrLen_ = 0;
    uint32_t left_ = 0;  // payload bytes of the current frame still to come
    int stream_ = 0;
    std::string sysErr_;  // stream 3's payload, collected
};

// Newline-delimited messages (the JSON objects of /events and of /stats?stream=1) cut anywhere
// across feeds: each complete line that is not blank goes to the sink, without its newline;
// a sink returning false stops feed() (which then returns false).
class LineSplitter {
  public:
    using Sink = std::function<bool(std::string_view line)>;
    explicit LineSplitter(Sink sink) : sink_(std::move(sink)) {}
    bool feed(std::string_view d);
    // What is left after the last newline (a last message the stream did not end with one).
    const std::string& rest() const { return buf_; }

  private:
    Sink sink_;
    std::string buf_;
};

struct PumpOptions {
    int inFd = 0;  // -1: no stdin (the connection is not half-closed either)
    int outFd = 1;
    int errFd = 2;
    bool tty = false;  // raw stream; otherwise docker's frames
    // The detach key spec ("ctrl-p,ctrl-q", see parseDetachKeys); "" = no detach watch. Only
    // watched with a TTY, as docker.
    std::string detachKeys;
    // With a TTY: called with outFd's (else inFd's) size at the start and on each SIGWINCH.
    std::function<void(int rows, int cols)> onResize;
};

struct PumpResult {
    bool detached = false;  // the detach sequence was typed: the container runs on
};

// Copies stdin -> connection (stdin EOF half-closes it, docker's CloseWrite) and connection
// -> stdout/stderr (demultiplexed without a TTY) until the output stream ends. Typing the
// detach sequence (TTY only) stops at once, without the half-close, and reports
// detached=true. Raw mode on the terminal is the caller's (RawMode). Errors: a bad detach
// spec, a failed read/write, a daemon error frame.
Result<PumpResult> pumpHijacked(Hijacked& h, const PumpOptions& o);

}  // namespace berth::cli
