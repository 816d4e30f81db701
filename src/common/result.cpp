#include "common/result.h"

#include <cstring>

namespace berth {

std::string errnoName(int code) {
    if (const char* n = strerrorname_np(code)) return n;
    return fmt::format("errno {}", code);
}

std::string Error::str() const {
    if (code == 0 || quiet) return msg;
    return msg + ": " + errnoName(code);
}

Error Error::wrap(std::string_view ctx) const& {
    Error e = *this;
    e.msg = std::string(ctx) + ": " + msg;
    return e;
}

Error Error::wrap(std::string_view ctx) && {
    msg.insert(0, std::string(ctx) + ": ");
    return std::move(*this);
}

}  // namespace berth
