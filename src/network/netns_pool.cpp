#include "network/netns_pool.h"

#include "common/log.h"
#include "network/netns.h"
#include "network/sysctl.h"

namespace berth::net {

std::string randomHex(size_t n);  // manager.cpp

namespace {
constexpr int kLoopbackIndex = 1;
constexpr int kMaxFailures = 3;
}  // namespace

NetnsPool::NetnsPool(std::string dir, size_t target) : dir_(std::move(dir)), target_(target) {
    worker_ = std::thread([this] { run(); });
}

NetnsPool::~NetnsPool() {
    {
        std::lock_guard l(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
    for (auto& r : ready_)
        if (auto st = removeNetns(r.path); !st) log::warn("network: {}", st.error().str());
}

Result<NetnsPool::Ready> NetnsPool::make(const std::string& dir) {
    Ready r;
    r.path = dir + "/" + randomHex(12);
    r.fd = TRY(createNetns(r.path));
    auto cleanup = [&](Error e) {
        (void)removeNetns(r.path);
        return e;
    };
    // No duplicate address detection in a sandbox: its addresses are assigned by IPAM, and a
    // tentative link-local address delays IPv6 neighbour discovery for a second after start.
    auto dad = inNetns(r.fd.get(), []() -> Status {
        for (const char* c : {"all", "default"})
            TRY(writeProcSys(fmt::format("net/ipv6/conf/{}/accept_dad", c), "0"));
        return {};
    });
    if (!dad && dad.error().code != ENOENT) return cleanup(std::move(dad).error());
    auto nl = Netlink::openIn(r.fd.get());
    if (!nl) return cleanup(std::move(nl).error());
    r.inside = std::move(*nl);
    if (auto st = r.inside.setUp(kLoopbackIndex); !st)
        return cleanup(std::move(st).error().wrap("set lo up"));
    return r;
}

Result<NetnsPool::Ready> NetnsPool::take() {
    {
        std::lock_guard l(mu_);
        if (!ready_.empty()) {
            Ready r = std::move(ready_.front());
            ready_.pop_front();
            cv_.notify_all();  // refill
            return r;
        }
    }
    cv_.notify_all();
    return make(dir_);
}

void NetnsPool::post(std::function<void()> job) {
    {
        std::lock_guard l(mu_);
        jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
}

void NetnsPool::settle() {
    std::unique_lock l(mu_);
    idle_.wait(l, [&] { return jobs_.empty() && !busy_; });
}

void NetnsPool::run() {
    std::unique_lock l(mu_);
    for (;;) {
        cv_.wait(l, [&] {
            return stop_ || !jobs_.empty() ||
                   (ready_.size() < target_ && failures_ < kMaxFailures);
        });
        if (!jobs_.empty()) {
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            busy_ = true;
            l.unlock();
            job();
            l.lock();
            busy_ = false;
            if (jobs_.empty()) idle_.notify_all();
            continue;
        }
        if (stop_) return;
        l.unlock();
        auto r = make(dir_);
        l.lock();
        if (!r) {
            if (++failures_ == kMaxFailures)
                log::warn("network: cannot prepare namespaces ahead: {}", r.error().str());
            continue;
        }
        failures_ = 0;
        ready_.push_back(std::move(*r));
    }
}

}  // namespace berth::net
