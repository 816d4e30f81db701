#include "runtime/cgroups/devices_bpf.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "common/bpf.h"
#include "common/unique_fd.h"

namespace berth::cgroups::devices {

namespace {

constexpr uint32_t kRwm = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

Result<uint32_t> parseAccess(const std::string& s) {
    if (s.empty()) return kRwm;
    uint32_t a = 0;
    for (char c : s) {
        if (c == 'r')
            a |= BPF_DEVCG_ACC_READ;
        else if (c == 'w')
            a |= BPF_DEVCG_ACC_WRITE;
        else if (c == 'm')
            a |= BPF_DEVCG_ACC_MKNOD;
        else
            return invalid("device access {:?}: only r, w and m are allowed", s);
    }
    return a;
}

bool sameDevice(const Rule& a, const Rule& b) {
    return a.type == b.type && a.major == b.major && a.minor == b.minor;
}

// Registers after the prologue: r2 device type, r3 access, r4 major, r5 minor.
void appendException(std::vector<bpf_insn>& out, const Rule& r, bool defaultAllow) {
    std::vector<bpf_insn> block;
    std::vector<size_t> jumps;  // jumps to the end of this block (no match)
    auto jumpIfNot = [&](uint8_t op, uint8_t reg, int32_t imm) {
        jumps.push_back(block.size());
        block.push_back(bpf::insn(BPF_JMP32 | op | BPF_K, reg, 0, 0, imm));
    };
    if (r.type != 'a') {
        jumpIfNot(BPF_JNE, 2, r.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    }
    if (r.access != kRwm) {
        block.push_back(bpf::insn(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
        if (defaultAllow) {
            // A deny exception bites on any overlap with the requested access.
            block.push_back(
                bpf::insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, static_cast<int32_t>(r.access)));
            jumpIfNot(BPF_JEQ, 1, 0);
        } else {
            // An allow exception must cover every requested access bit.
            block.push_back(bpf::insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0,
                                      static_cast<int32_t>(~r.access & kRwm)));
            jumpIfNot(BPF_JNE, 1, 0);
        }
    }
    if (r.major != kWildcard) jumpIfNot(BPF_JNE, 4, static_cast<int32_t>(r.major));
    if (r.minor != kWildcard) jumpIfNot(BPF_JNE, 5, static_cast<int32_t>(r.minor));
    block.push_back(bpf::insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, defaultAllow ? 0 : 1));
    block.push_back(bpf::insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - (j + 1));
    out.insert(out.end(), block.begin(), block.end());
}

}  // namespace

bool Rule::isAll() const {
    return type == 'a' && major == kWildcard && minor == kWildcard && access == kRwm;
}

std::string Rule::v1String() const {
    auto num = [](int64_t v) { return v == kWildcard ? std::string("*") : std::to_string(v); };
    std::string acc;
    if (access & BPF_DEVCG_ACC_READ) acc += 'r';
    if (access & BPF_DEVCG_ACC_WRITE) acc += 'w';
    if (access & BPF_DEVCG_ACC_MKNOD) acc += 'm';
    return fmt::format("{} {}:{} {}", type, num(major), num(minor), acc);
}

Result<std::vector<Rule>> normalize(const std::vector<spec::DeviceRule>& rules) {
    std::vector<Rule> out;
    for (size_t i = 0; i < rules.size(); i++) {
        const auto& d = rules[i];
        Rule r;
        r.allow = d.allow;
        r.major = d.major.value_or(kWildcard);
        r.minor = d.minor.value_or(kWildcard);
        if (r.major < kWildcard || r.minor < kWildcard || r.major > INT32_MAX ||
            r.minor > INT32_MAX) {
            return invalid("linux.resources.devices[{}]: bad major/minor", i);
        }
        r.access = TRY_CTX(parseAccess(d.access), "linux.resources.devices[{}]", i);
        if (d.type.empty() || d.type == "a") {
            r.type = 'a';
        } else if (d.type == "c" || d.type == "b") {
            r.type = d.type[0];
        } else {
            return invalid("linux.resources.devices[{}].type {:?}: expected a, b or c", i, d.type);
        }
        if (r.type == 'a' && !r.isAll()) {
            r.type = 'c';
            out.push_back(r);
            r.type = 'b';
        }
        out.push_back(r);
    }
    return out;
}

Policy emulate(const std::vector<Rule>& rules) {
    Policy p;
    for (const Rule& r : rules) {
        if (r.isAll()) {
            p.defaultAllow = r.allow;
            p.exceptions.clear();
            continue;
        }
        auto& ex = p.exceptions;
        if (r.allow != p.defaultAllow) {
            // An exception to the default: merge access into an existing entry or append.
            auto it = std::find_if(ex.begin(), ex.end(), [&](auto& e) { return sameDevice(e, r); });
            if (it != ex.end()) {
                it->access |= r.access;
            } else {
                ex.push_back(r);
            }
        } else {
            // Same polarity as the default: narrows (or removes) a matching exception.
            for (auto& e : ex) {
                if (sameDevice(e, r)) e.access &= ~r.access;
            }
            std::erase_if(ex, [](const Rule& e) { return e.access == 0; });
        }
    }
    return p;
}

std::vector<bpf_insn> generateProgram(const Policy& p) {
    std::vector<bpf_insn> out = {
        // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
        bpf::insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0),
        bpf::insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff),  // type: low 16 bits
        bpf::insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0),
        bpf::insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16),  // access: high 16 bits
        bpf::insn(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0),
        bpf::insn(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0),
    };
    for (const Rule& r : p.exceptions) appendException(out, r, p.defaultAllow);
    out.push_back(bpf::insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, p.defaultAllow ? 1 : 0));
    out.push_back(bpf::insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    return out;
}

Status attachProgram(const std::string& cgroupDir, const std::vector<bpf_insn>& prog) {
    UniqueFd progFd = TRY(
        bpf::loadProgram(BPF_PROG_TYPE_CGROUP_DEVICE, 0, prog, "for the devices of " + cgroupDir));
    int d = ::open(cgroupDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0) return errnoError("open {}", cgroupDir);
    UniqueFd dirFd(d);

    // The programs attached now; they go once the new one is in place (never a gap).
    uint32_t ids[64] = {};
    union bpf_attr q {};
    q.query.target_fd = static_cast<uint32_t>(dirFd.get());
    q.query.attach_type = BPF_CGROUP_DEVICE;
    q.query.prog_ids = reinterpret_cast<uint64_t>(ids);
    q.query.prog_cnt = 64;
    if (bpf::call(BPF_PROG_QUERY, q) < 0)
        return errnoError("query device programs of {}", cgroupDir);
    std::vector<UniqueFd> old;
    for (uint32_t i = 0; i < q.query.prog_cnt && i < 64; i++) {
        union bpf_attr g {};
        g.prog_id = ids[i];
        int fd = static_cast<int>(bpf::call(BPF_PROG_GET_FD_BY_ID, g));
        if (fd >= 0) old.emplace_back(fd);
    }
    // An exclusive (non-multi) attachment is replaced in place by attaching in that mode.
    bool multi = old.empty() || (q.query.attach_flags & BPF_F_ALLOW_MULTI);
    union bpf_attr a {};
    a.target_fd = static_cast<uint32_t>(dirFd.get());
    a.attach_bpf_fd = static_cast<uint32_t>(progFd.get());
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = multi ? BPF_F_ALLOW_MULTI : 0;
    if (bpf::call(BPF_PROG_ATTACH, a) < 0) {
        return errnoError("attach device eBPF program to {}", cgroupDir);
    }
    if (!multi) return {};
    for (auto& o : old) {
        union bpf_attr det {};
        det.target_fd = static_cast<uint32_t>(dirFd.get());
        det.attach_bpf_fd = static_cast<uint32_t>(o.get());
        det.attach_type = BPF_CGROUP_DEVICE;
        if (bpf::call(BPF_PROG_DETACH, det) < 0 && errno != ENOENT) {
            return errnoError("detach old device eBPF program from {}", cgroupDir);
        }
    }
    return {};
}

}  // namespace berth::cgroups::devices
