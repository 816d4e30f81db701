#include "common/bpf.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace berth::bpf {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

std::array<bpf_insn, 2> loadImm64(uint8_t dst, uint64_t value) {
    return {insn(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, static_cast<int32_t>(value & 0xffffffffu)),
            insn(0, 0, 0, 0, static_cast<int32_t>(value >> 32))};
}

std::array<bpf_insn, 2> loadMap(uint8_t dst, int mapFd) {
    return {insn(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, mapFd), insn(0, 0, 0, 0, 0)};
}

long call(int cmd, union bpf_attr& attr) {
    return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

Result<UniqueFd> loadProgram(bpf_prog_type type, uint32_t expectedAttach,
                             const std::vector<bpf_insn>& prog, const std::string& what) {
    static const char kLicense[] = "Apache";
    std::string log(64 * 1024, '\0');
    union bpf_attr load {};
    load.prog_type = type;
    load.expected_attach_type = expectedAttach;
    load.insns = reinterpret_cast<uint64_t>(prog.data());
    load.insn_cnt = static_cast<uint32_t>(prog.size());
    load.license = reinterpret_cast<uint64_t>(kLicense);
    load.log_buf = reinterpret_cast<uint64_t>(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    load.log_level = 1;
    int fd = static_cast<int>(call(BPF_PROG_LOAD, load));
    if (fd < 0) {
        Error e = errnoError("load eBPF program {}", what);
        log.resize(log.find('\0'));
        if (!log.empty()) e.msg += " (verifier: " + log.substr(0, 400) + ")";
        return e;
    }
    return UniqueFd(fd);
}

Result<UniqueFd> createMap(bpf_map_type type, uint32_t keySize, uint32_t valueSize,
                           uint32_t maxEntries, const std::string& what) {
    union bpf_attr a {};
    a.map_type = type;
    a.key_size = keySize;
    a.value_size = valueSize;
    a.max_entries = maxEntries;
    int fd = static_cast<int>(call(BPF_MAP_CREATE, a));
    if (fd < 0) return errnoError("create eBPF map {}", what);
    return UniqueFd(fd);
}

}  // namespace berth::bpf
