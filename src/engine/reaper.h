// DirReaper: deletes removed containers' directories on a thread of its own.
//
// Unmounting a container's rootfs and deleting its directory tree takes a couple of
// milliseconds that `rm` (and `run --rm`, which waits for the removal) need not wait for: once
// the container's row is gone nothing refers to the directory. A daemon that dies with
// directories still queued finds them without a row at its next start (Engine recover()).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace berth::engine {

class DirReaper {
  public:
    DirReaper();
    // Finishes what is queued, then stops.
    ~DirReaper();
    DirReaper(const DirReaper&) = delete;
    DirReaper& operator=(const DirReaper&) = delete;

    // Queues dir: its rootfs/ mount (if any) is detached, then the tree is deleted.
    void add(std::string dir);
    // Waits until everything queued so far is deleted (tests, shutdown).
    void drain();

  private:
    void loop();

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> queue_;
    bool busy_ = false, stop_ = false;
    std::thread thread_;
};

}  // namespace berth::engine
