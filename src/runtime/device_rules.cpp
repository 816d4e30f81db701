#include "runtime/device_rules.h"

namespace berth::runtime {

namespace {
spec::DeviceRule allow(const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                       const char* access) {
    spec::DeviceRule r;
    r.allow = true;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    return r;
}
}  // namespace

void addDefaultDeviceRules(const spec::Spec&, spec::Resources& r) {
    auto& d = r.devices;
    d.push_back(allow("c", std::nullopt, std::nullopt, "m"));
    d.push_back(allow("b", std::nullopt, std::nullopt, "m"));
    d.push_back(allow("c", 1, 3, "rwm"));               // null
    d.push_back(allow("c", 1, 5, "rwm"));               // zero
    d.push_back(allow("c", 1, 7, "rwm"));               // full
    d.push_back(allow("c", 1, 8, "rwm"));               // random
    d.push_back(allow("c", 1, 9, "rwm"));               // urandom
    d.push_back(allow("c", 5, 0, "rwm"));               // tty
    d.push_back(allow("c", 5, 1, "rwm"));               // console
    d.push_back(allow("c", 5, 2, "rwm"));               // ptmx
    d.push_back(allow("c", 136, std::nullopt, "rwm"));  // pts/*
    d.push_back(allow("c", 10, 200, "rwm"));            // net/tun
    // linux.devices entries get no rule of their own: as with runc, linux.resources.devices
    // says what may be done with them (docker's --device /dev/x:r is a read-only rule there).
}

}  // namespace berth::runtime
