// ScopeGuard: runs a rollback action at scope exit unless cancel() was called.
#pragma once

#include <utility>

namespace berth {

template <typename F>
class ScopeGuard {
public:
    explicit ScopeGuard(F f) : f_(std::move(f)) {}
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
    ~ScopeGuard() {
        if (active_) f_();
    }
    void cancel() { active_ = false; }

private:
    F f_;
    bool active_ = true;
};

}  // namespace berth
