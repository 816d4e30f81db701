// Thin wrappers for hand-assembled eBPF programs: instruction builders, the bpf(2) call and
// program loading with the verifier's log in the error. Used by the cgroup device filter
// (runtime) and the socket redirect (network).
#pragma once

#include <linux/bpf.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::bpf {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm);
// The two-instruction load of a 64-bit constant, and of a map (by fd) into a register.
std::array<bpf_insn, 2> loadImm64(uint8_t dst, uint64_t value);
std::array<bpf_insn, 2> loadMap(uint8_t dst, int mapFd);

// bpf(2); -1 with errno on failure.
long call(int cmd, union bpf_attr& attr);

// BPF_PROG_LOAD; `expectedAttach` 0 when the type needs none. `what` names the program in
// errors, which carry the start of the verifier's log.
Result<UniqueFd> loadProgram(bpf_prog_type type, uint32_t expectedAttach,
                             const std::vector<bpf_insn>& prog, const std::string& what);

Result<UniqueFd> createMap(bpf_map_type type, uint32_t keySize, uint32_t valueSize,
                           uint32_t maxEntries, const std::string& what);

}  // namespace berth::bpf
