// Terminal helpers for the CLI: is an fd a terminal, raw mode for `-it` (as Go's
// term.MakeRaw, which docker uses), the window size, and SIGWINCH as an fd a poll loop can
// watch.
#pragma once

#include <signal.h>
#include <termios.h>

#include <optional>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::cli {

bool isTerminal(int fd);

// (rows, cols) of the terminal on fd; nullopt when fd is no terminal or reports 0x0.
std::optional<std::pair<int, int>> windowSize(int fd);

// Raw mode on a terminal for the life of the object (moby/term's MakeRaw: no echo, no line
// editing, no signals from keys, no CR/NL translation in or out, 8-bit, reads return after
// one byte). The saved settings come back in the destructor or at restore().
class RawMode {
  public:
    // ENOTTY when fd is no terminal.
    static Result<RawMode> enable(int fd);

    RawMode(RawMode&& o) noexcept : fd_(std::exchange(o.fd_, -1)), saved_(o.saved_) {}
    RawMode& operator=(RawMode&& o) noexcept;
    RawMode(const RawMode&) = delete;
    RawMode& operator=(const RawMode&) = delete;
    ~RawMode() { restore(); }

    // Puts the saved settings back now (before printing an error, say); later calls and the
    // destructor do nothing.
    void restore();
    bool active() const { return fd_ >= 0; }

  private:
    RawMode(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
    int fd_ = -1;
    termios saved_{};
};

// SIGWINCH delivered through a self-pipe: poll fd() for POLLIN, then drain(). One watcher at a
// time per process (the handler writes to a single pipe); the previous disposition comes back
// in the destructor.
class WinchWatcher {
  public:
    static Result<WinchWatcher> create();

    WinchWatcher(WinchWatcher&& o) noexcept
        : rd_(std::move(o.rd_)),
          wr_(std::move(o.wr_)),
          old_(o.old_),
          installed_(std::exchange(o.installed_, false)) {}
    WinchWatcher& operator=(WinchWatcher&&) = delete;
    WinchWatcher(const WinchWatcher&) = delete;
    WinchWatcher& operator=(const WinchWatcher&) = delete;
    ~WinchWatcher();

    int fd() const { return rd_.get(); }
    // Consumes the pending notifications; true when there was at least one.
    bool drain();

  private:
    WinchWatcher() = default;
    UniqueFd rd_, wr_;
    struct ::sigaction old_ {};
    bool installed_ = false;
};

}  // namespace berth::cli
