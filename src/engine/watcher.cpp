#include "engine/watcher.h"

#include <poll.h>
#include <sys/eventfd.h>

#include <cstdint>
#include <vector>

namespace berth::engine {

ExitWatcher::ExitWatcher() : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    thread_ = std::thread([this] { loop(); });
}

ExitWatcher::~ExitWatcher() {
    stop();
}

void ExitWatcher::stop() {
    {
        std::lock_guard lk(mu_);
        if (stop_) return;
        stop_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
}

void ExitWatcher::wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

void ExitWatcher::add(const std::string& key, UniqueFd fd, std::function<void()> cb) {
    {
        std::lock_guard lk(mu_);
        items_[key] = Item{std::move(fd), std::move(cb)};
    }
    wake();
}

void ExitWatcher::remove(const std::string& key) {
    {
        std::lock_guard lk(mu_);
        items_.erase(key);
    }
    wake();
}

void ExitWatcher::loop() {
    for (;;) {
        std::vector<pollfd> fds;
        std::vector<std::string> keys;
        {
            std::lock_guard lk(mu_);
            if (stop_) return;
            fds.push_back({wake_.get(), POLLIN, 0});
            keys.emplace_back();
            for (auto& [k, it] : items_) {
                fds.push_back({it.fd.get(), POLLIN, 0});
                keys.push_back(k);
            }
        }
        int n = ::poll(fds.data(), fds.size(), -1);
        if (n < 0) continue;
        if (fds[0].revents) {
            uint64_t v;
            [[maybe_unused]] auto r = ::read(wake_.get(), &v, sizeof v);
        }
        for (size_t i = 1; i < fds.size(); i++) {
            if (!fds[i].revents) continue;
            std::function<void()> cb;
            {
                std::lock_guard lk(mu_);
                auto it = items_.find(keys[i]);
                if (it == items_.end() || it->second.fd.get() != fds[i].fd) continue;
                cb = std::move(it->second.cb);
                items_.erase(it);
            }
            if (cb) cb();
        }
    }
}

}  // namespace berth::engine
