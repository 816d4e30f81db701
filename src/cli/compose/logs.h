// The logs of several containers at once, each line prefixed with its container's name
// ("demo-web-1  | ...", coloured per service on a terminal), as `compose logs` and a
// foreground `compose up` print them. One daemon connection and thread per container.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/compose/session.h"

namespace berth::cli::compose {

struct LogSource {
    std::string id, name, service;
    bool tty = false;
    std::string since;  // the logs query's since ("" = from the start)
};

struct LogOptions {
    bool follow = false;
    bool timestamps = false;
    bool colour = false;
    bool prefix = true;
    std::string tail = "all";
    std::string until;
};

class LogPrinter {
  public:
    LogPrinter(Ctx& ctx, LogOptions o);
    ~LogPrinter();
    // Starts streaming a container's logs; `onEnd` (may be empty) runs on that thread when the
    // stream ends (the container stopped, with follow).
    void add(const LogSource& s, std::function<void(const LogSource&)> onEnd = {});
    // Waits until every stream has ended.
    void wait();
    // Streams still running.
    int running() const { return running_.load(); }
    // Widens the prefix column for names to come (call before add).
    void reserveWidth(size_t w);
    // The first stream error, if any.
    Status status();

  private:
    void line(const LogSource& s, std::string_view text, int colour);
    Ctx& ctx_;
    LogOptions o_;
    size_t width_ = 0;
    std::mutex mu_;
    std::vector<std::thread> threads_;
    std::atomic<int> running_{0};
    std::vector<std::string> colourOf_;  // service -> palette index, in order seen
    Status status_;
};

}  // namespace berth::cli::compose
