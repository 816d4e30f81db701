// Capability sets through libcap and prctl.
#include "runtime/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cctype>
#include <cstdint>

#include "common/log.h"
#include "common/sys.h"

namespace berth::caps {

namespace {

// Highest capability the running kernel knows; libcap reads /proc/sys/kernel/cap_last_cap.
int lastCap() {
    static const int last = [] {
        auto s = sys::readFile("/proc/sys/kernel/cap_last_cap");
        if (s) {
            try {
                return std::stoi(*s);
            } catch (...) {
            }
        }
        return static_cast<int>(cap_max_bits()) - 1;
    }();
    return last;
}

std::string capName(int cap) {
    char* n = cap_to_name(static_cast<cap_value_t>(cap));
    std::string out = n ? n : std::to_string(cap);
    cap_free(n);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (out.rfind("CAP_", 0) != 0) out = "CAP_" + out;  // libcap spells unnamed ones as numbers
    return out;
}

bool isUpper(const std::string& s) {
    for (char c : s)
        if (std::islower(static_cast<unsigned char>(c))) return false;
    return true;
}

// One set as a bit mask. Names the running kernel does not know are skipped (warned about
// when `warn`), like runc; names nobody knows are errors.
Result<uint64_t> parseSet(const std::vector<std::string>& names, std::string_view field,
                          bool warn) {
    uint64_t mask = 0;
    for (size_t i = 0; i < names.size(); ++i) {
        const std::string& n = names[i];
        std::string lower = n;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        cap_value_t v = -1;
        // libcap also takes numbers and lowercase; a config spells them "CAP_CHOWN" (as runc).
        if (n.rfind("CAP_", 0) != 0 || !isUpper(n) || cap_from_name(lower.c_str(), &v) != 0 ||
            v < 0 || v >= 64)
            return invalid("process.capabilities.{}[{}]: unknown capability \"{}\"", field, i, n);
        if (v > lastCap()) {
            if (warn)
                log::warn(
                    "process.capabilities.{}: {} is not known to the running kernel; "
                    "ignored",
                    field, n);
            continue;
        }
        mask |= uint64_t{1} << v;
    }
    return mask;
}

struct Sets {
    uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

Result<Sets> parse(const spec::Capabilities& c, bool warn) {
    Sets s;
    s.bounding = TRY(parseSet(c.bounding, "bounding", warn));
    s.effective = TRY(parseSet(c.effective, "effective", warn));
    s.permitted = TRY(parseSet(c.permitted, "permitted", warn));
    s.inheritable = TRY(parseSet(c.inheritable, "inheritable", warn));
    s.ambient = TRY(parseSet(c.ambient, "ambient", warn));
    return s;
}

Status setFlag(cap_t caps, cap_flag_t which, uint64_t mask) {
    for (int i = 0; i <= lastCap(); ++i) {
        if (!(mask & (uint64_t{1} << i))) continue;
        cap_value_t v = i;
        if (cap_set_flag(caps, which, 1, &v, CAP_SET) < 0)
            return errnoError("cap_set_flag {}", capName(i));
    }
    return okStatus();
}

}  // namespace

Status validate(const spec::Capabilities& c) {
    TRY(parse(c, true));
    return okStatus();
}

Status applyBounding(const spec::Capabilities& c) {
    Sets s = TRY(parse(c, false));
    for (int i = 0; i <= lastCap(); ++i) {
        if (s.bounding & (uint64_t{1} << i)) continue;
        // Already gone (e.g. an exec into a restricted container): nothing to do, and the
        // drop itself would need CAP_SETPCAP.
        if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 0) continue;
        if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
            return errnoError("dropping {} from the bounding set", capName(i));
    }
    // Keep the permitted set across the coming setuid away from 0; applyFinal clears it again.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return errnoError("prctl(PR_SET_KEEPCAPS, 1)");
    return okStatus();
}

Status applyFinal(const spec::Capabilities& c) {
    Sets s = TRY(parse(c, false));
    cap_t caps = cap_init();
    if (!caps) return errnoError("cap_init");
    struct Free {
        cap_t c;
        ~Free() { cap_free(c); }
    } guard{caps};
    TRY(setFlag(caps, CAP_EFFECTIVE, s.effective));
    TRY(setFlag(caps, CAP_PERMITTED, s.permitted));
    TRY(setFlag(caps, CAP_INHERITABLE, s.inheritable));
    if (cap_set_proc(caps) < 0) {
        return errnoError(
            "setting capabilities (effective {:#x}, permitted {:#x}, inheritable "
            "{:#x})",
            s.effective, s.permitted, s.inheritable);
    }
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return errnoError("prctl(PR_SET_KEEPCAPS, 0)");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return errnoError("clearing the ambient set");
    for (int i = 0; i <= lastCap(); ++i) {
        if (!(s.ambient & (uint64_t{1} << i))) continue;
        // Needs the cap in both permitted and inheritable; runc only warns when it is not
        // (its own default spec lists ambient caps without inheritable ones).
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0) {
            log::debug("cannot raise ambient capability {}: {}", capName(i), errnoName(errno));
        }
    }
    return okStatus();
}

std::vector<std::string> allKnown() {
    std::vector<std::string> out;
    for (int i = 0; i <= lastCap(); ++i) out.push_back(capName(i));
    return out;
}

}  // namespace berth::caps
