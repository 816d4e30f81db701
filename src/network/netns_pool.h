// Keeps the kernel's slow parts off the container's critical path, on one worker thread:
//  - a few network namespaces are made ahead (created, bind-mounted at <dir>/<random id>, lo up):
//    creating one costs 0.6..7 ms here, taking a ready one costs nothing;
//  - teardown work (deleting veths waits for RCU grace periods: 20..45 ms each; unmounting a
//    netns waits for one too) runs as queued jobs after the caller has returned.
// Pooled namespaces are in no record, so a crash leaves them as orphans that the next open()
// removes with every other unexplained file in <dir>.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"
#include "network/netlink.h"

namespace berth::net {

class NetnsPool {
public:
    struct Ready {
        std::string path;
        UniqueFd fd;
        Netlink inside;  // a socket in that netns
    };

    // target: how many ready namespaces to keep (0: none, everything synchronous).
    NetnsPool(std::string dir, size_t target);
    // Finishes queued jobs, removes the ready namespaces, joins the worker.
    ~NetnsPool();
    NetnsPool(const NetnsPool&) = delete;
    NetnsPool& operator=(const NetnsPool&) = delete;

    // A ready netns; made now when none is ready.
    Result<Ready> take();
    // Runs `job` on the worker thread (in the netns the pool was created in), in order.
    void post(std::function<void()> job);
    // Waits until every job posted so far has run.
    void settle();

    // Makes one netns at <dir>/<random id> with lo up.
    static Result<Ready> make(const std::string& dir);

private:
    void run();

    std::string dir_;
    size_t target_;
    std::mutex mu_;
    std::condition_variable cv_, idle_;
    std::deque<Ready> ready_;
    std::deque<std::function<void()>> jobs_;
    bool busy_ = false, stop_ = false;
    int failures_ = 0;  // consecutive make() failures: stop refilling after a few
    std::thread worker_;
};

}  // namespace berth::net
