// One thread waiting on every monitor's exit fd (poll), so a container's exit is noticed at
// once without a thread per container.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/unique_fd.h"

namespace berth::engine {

class ExitWatcher {
  public:
    ExitWatcher();
    ~ExitWatcher();
    // cb runs on the watcher thread once fd turns readable (or errors); fd is closed then.
    void add(const std::string& key, UniqueFd fd, std::function<void()> cb);
    void remove(const std::string& key);
    void stop();

  private:
    void loop();
    void wake();
    struct Item {
        UniqueFd fd;
        std::function<void()> cb;
    };
    std::mutex mu_;
    std::map<std::string, Item> items_;
    UniqueFd wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace berth::engine
