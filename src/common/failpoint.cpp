#include "common/failpoint.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/log.h"

namespace berth {

namespace {

const std::string& armed() {
    static const std::string name = [] {
        const char* v = std::getenv("BERTH_FAILPOINT");
        return std::string(v ? v : "");
    }();
    return name;
}

}  // namespace

void failpoint(std::string_view name) {
    if (armed().empty() || armed() != name) return;
    log::write(log::Level::Error, "failpoint " + std::string(name) + ": exiting as if killed");
    ::_exit(137);
}

}  // namespace berth
