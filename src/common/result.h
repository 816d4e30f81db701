// Result<T>/Error: the one error regime of Berth.
//
// An Error carries the errno (`code`, 0 when there is none) and a message built from context
// added at each hop: Error{EPERM, "mount proc on /x/rootfs/proc"}.wrap("create web") prints as
// "create web: mount proc on /x/rootfs/proc: EPERM".
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

#include <fmt/core.h>

namespace berth {

struct Error {
    int code = 0;     // errno value, 0 for errors that are not from the kernel
    std::string msg;  // context, outermost first
    bool quiet = false;  // input errors: do not print the errno name after msg

    // "msg: ENAME" (or just msg when code is 0).
    std::string str() const;
    // A new error whose message is "ctx: <msg>"; the code is kept.
    Error wrap(std::string_view ctx) const&;
    Error wrap(std::string_view ctx) &&;
};

// Captures errno at once: `return errnoError("open {}", path);`
template <typename... A>
Error errnoError(fmt::format_string<A...> f, A&&... a) {
    int e = errno;
    return Error{e, fmt::format(f, std::forward<A>(a)...)};
}
template <typename... A>
Error makeError(int code, fmt::format_string<A...> f, A&&... a) {
    return Error{code, fmt::format(f, std::forward<A>(a)...)};
}
// An error without errno (bad input).
template <typename... A>
Error invalid(fmt::format_string<A...> f, A&&... a) {
    return Error{EINVAL, fmt::format(f, std::forward<A>(a)...), true};
}

// Name of an errno value ("EPERM"); falls back to the number.
std::string errnoName(int code);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T v) : v_(std::move(v)) {}  // NOLINT: implicit by design
    Result(Error e) : v_(std::move(e)) {}  // NOLINT
    template <typename U>
        requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Error> &&
                 !std::is_same_v<std::decay_t<U>, T> && !std::is_same_v<std::decay_t<U>, Result>)
    Result(U&& u) : v_(T(std::forward<U>(u))) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

    T valueOr(T d) const& { return ok() ? value() : std::move(d); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    void value() const {}
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

private:
    Error err_;
    bool ok_ = true;
};

using Status = Result<void>;

inline Status okStatus() { return {}; }

}  // namespace berth

// TRY(expr): evaluate a Result; on error return it from the enclosing function, else yield the
// value. TRY_CTX(expr, fmt, ...) adds context to the error on the way out.
#define BERTH_CAT2(a, b) a##b
#define BERTH_CAT(a, b) BERTH_CAT2(a, b)
#define TRY(expr)                                                                      \
    ({                                                                                 \
        auto&& BERTH_CAT(r_, __LINE__) = (expr);                                       \
        if (!BERTH_CAT(r_, __LINE__)) return std::move(BERTH_CAT(r_, __LINE__)).error(); \
        std::move(BERTH_CAT(r_, __LINE__)).value();                                    \
    })
#define TRY_CTX(expr, ...)                                                          \
    ({                                                                              \
        auto&& BERTH_CAT(r_, __LINE__) = (expr);                                    \
        if (!BERTH_CAT(r_, __LINE__))                                               \
            return std::move(BERTH_CAT(r_, __LINE__)).error().wrap(fmt::format(__VA_ARGS__)); \
        std::move(BERTH_CAT(r_, __LINE__)).value();                                 \
    })
