// Device rules: normalisation shared by v1 (devices.allow/deny) and v2, where the rules become
// an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup directory.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/spec.h"

namespace berth::cgroups::devices {

constexpr int64_t kWildcard = -1;

// One rule with a concrete type: 'a' only for the full "all devices, rwm" rule; partial 'a'
// rules are split into 'c' and 'b' (the v1 kernel would read any 'a' as "everything").
struct Rule {
    bool allow = false;
    char type = 'a';  // a c b
    int64_t major = kWildcard, minor = kWildcard;
    uint32_t access = 0;  // BPF_DEVCG_ACC_* bits

    bool isAll() const;
    // v1 text: "c 1:3 rwm", "a *:* rwm".
    std::string v1String() const;
};

Result<std::vector<Rule>> normalize(const std::vector<spec::DeviceRule>& rules);

// What the rules leave behind when applied in order on a deny-all start, with cgroup v1's
// semantics: a default, and exceptions of the other polarity.
struct Policy {
    bool defaultAllow = false;
    std::vector<Rule> exceptions;
};
Policy emulate(const std::vector<Rule>& rules);

// The program: for each exception "if it matches return verdict", then the default.
std::vector<bpf_insn> generateProgram(const Policy& p);

// Loads the program and attaches it to the cgroup dir, then detaches what was there before.
Status attachProgram(const std::string& cgroupDir, const std::vector<bpf_insn>& prog);

}  // namespace berth::cgroups::devices
