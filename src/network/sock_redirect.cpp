#include "network/sock_redirect.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "common/bpf.h"
#include "common/log.h"
#include "common/scope_guard.h"
#include "network/addr.h"

namespace berth::net {

namespace {

using bpf::insn;

// Room for ports x local addresses; what doesn't fit stays on the nftables path.
constexpr uint32_t kMaxEntries = 4096;
// Original destinations by socket cookie, for getpeername(). LRU: closed sockets age out.
constexpr uint32_t kMaxSockets = 16384;

constexpr int16_t off(size_t o) {
    return static_cast<int16_t>(o);
}
constexpr auto kUserIp4 = off(offsetof(bpf_sock_addr, user_ip4));
constexpr auto kUserPort = off(offsetof(bpf_sock_addr, user_port));
constexpr auto kType = off(offsetof(bpf_sock_addr, type));
constexpr auto kProtocol = off(offsetof(bpf_sock_addr, protocol));

// An IPv4 address as the kernel stores it (network order).
Result<uint32_t> ip4(const std::string& s, std::string_view what) {
    auto a = IpAddr::parse(s);
    if (!a || !a->isV4()) return invalid("{} {:?}: not an IPv4 address", what, s);
    uint32_t v = 0;
    std::memcpy(&v, a->bytes.data(), sizeof v);
    return v;
}

// A tiny assembler for the two programs below. Registers: r1-r5 helper arguments (clobbered by
// calls), r6 the context, r7 a map value, r10 the frame pointer.
class Asm {
  public:
    using Label = std::vector<size_t>;  // jumps waiting for their target

    void movReg(uint8_t dst, uint8_t src) { emit(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
    void movImm(uint8_t dst, int32_t v) { emit(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, v); }
    void load(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
        emit(BPF_LDX | BPF_MEM | size, dst, src, off, 0);
    }
    void store(uint8_t size, uint8_t dst, int16_t off, uint8_t src) {
        emit(BPF_STX | BPF_MEM | size, dst, src, off, 0);
    }
    void storeImm(uint8_t size, uint8_t dst, int16_t off, int32_t v) {
        emit(BPF_ST | BPF_MEM | size, dst, 0, off, v);
    }
    void andImm32(uint8_t dst, uint32_t v) {
        emit(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, static_cast<int32_t>(v));
    }
    void wide(const std::array<bpf_insn, 2>& two) { p_.insert(p_.end(), two.begin(), two.end()); }
    // reg = fp + off
    void stackPtr(uint8_t reg, int16_t off) {
        movReg(reg, 10);
        emit(BPF_ALU64 | BPF_ADD | BPF_K, reg, 0, 0, off);
    }
    void call(int32_t helper) { emit(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
    // r0 = map[fp + keyOff] (0 when absent).
    void lookup(int mapFd, int16_t keyOff) {
        wide(bpf::loadMap(1, mapFd));
        stackPtr(2, keyOff);
        call(BPF_FUNC_map_lookup_elem);
    }
    void jumpImm(Label& to, uint8_t op, uint8_t reg, uint32_t v) {
        to.push_back(p_.size());
        emit(BPF_JMP | op | BPF_K, reg, 0, 0, static_cast<int32_t>(v));
    }
    void jumpReg(Label& to, uint8_t op, uint8_t a, uint8_t b) {
        to.push_back(p_.size());
        emit(BPF_JMP | op | BPF_X, a, b, 0, 0);
    }
    void bind(const Label& l) {
        for (size_t j : l) p_[j].off = static_cast<int16_t>(p_.size() - (j + 1));
    }
    // The context's user_ip4/user_port = the {addr, port} pair `reg` points at.
    void setUserAddr(uint8_t reg) {
        load(BPF_W, 2, reg, 0);
        store(BPF_W, 6, kUserIp4, 2);
        load(BPF_W, 2, reg, 4);
        store(BPF_W, 6, kUserPort, 2);
    }
    std::vector<bpf_insn> allowAndExit() {
        movImm(0, 1);
        emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return std::move(p_);
    }

  private:
    void emit(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
        p_.push_back(insn(code, dst, src, off, imm));
    }
    std::vector<bpf_insn> p_;
};

// cgroup/connect4.
std::vector<bpf_insn> connectProgram(uint64_t cookie, int svcMap, int revMap) {
    Asm a;
    Asm::Label allow, rewrite;
    a.movReg(6, 1);
    a.load(BPF_W, 2, 6, kType);
    a.jumpImm(allow, BPF_JNE, 2, SOCK_STREAM);
    a.load(BPF_W, 2, 6, kProtocol);
    a.jumpImm(allow, BPF_JNE, 2, IPPROTO_TCP);
    // Only sockets of berthd's network namespace.
    a.movReg(1, 6);
    a.call(BPF_FUNC_get_netns_cookie);
    a.wide(bpf::loadImm64(1, cookie));
    a.jumpReg(allow, BPF_JNE, 0, 1);
    // Key {addr, port} at fp-8.
    a.load(BPF_W, 2, 6, kUserIp4);
    a.store(BPF_W, 10, -8, 2);
    a.load(BPF_W, 2, 6, kUserPort);
    a.store(BPF_W, 10, -4, 2);
    a.lookup(svcMap, -8);
    a.jumpImm(allow, BPF_JEQ, 0, 0);
    a.movReg(7, 0);
    // Remember the published address for getpeername(): rev[cookie at fp-16] = key.
    a.movReg(1, 6);
    a.call(BPF_FUNC_get_socket_cookie);
    a.store(BPF_DW, 10, -16, 0);
    a.wide(bpf::loadMap(1, revMap));
    a.stackPtr(2, -16);
    a.stackPtr(3, -8);
    a.movImm(4, BPF_ANY);
    a.call(BPF_FUNC_map_update_elem);
    // A client of a non-loopback address keeps that address as its source, as through DNAT:
    // bind to it (port 0: chosen at connect). A socket bound already keeps its own (EINVAL).
    a.load(BPF_W, 2, 10, -8);
    a.movReg(3, 2);
    a.andImm32(3, htonl(0xff000000));
    a.jumpImm(rewrite, BPF_JEQ, 3, htonl(0x7f000000));
    a.storeImm(BPF_DW, 10, -32, 0);  // sockaddr_in at fp-32
    a.storeImm(BPF_DW, 10, -24, 0);
    a.storeImm(BPF_H, 10, -32, AF_INET);
    a.store(BPF_W, 10, -28, 2);
    a.movReg(1, 6);
    a.stackPtr(2, -32);
    a.movImm(3, sizeof(sockaddr_in));
    a.call(BPF_FUNC_bind);
    a.bind(rewrite);
    a.setUserAddr(7);
    a.bind(allow);
    return a.allowAndExit();
}

// cgroup/getpeername4: a redirected socket reports the address it connected to.
std::vector<bpf_insn> peerProgram(int revMap) {
    Asm a;
    Asm::Label out;
    a.movReg(6, 1);
    a.call(BPF_FUNC_get_socket_cookie);
    a.store(BPF_DW, 10, -8, 0);
    a.lookup(revMap, -8);
    a.jumpImm(out, BPF_JEQ, 0, 0);
    a.setUserAddr(0);
    a.bind(out);
    return a.allowAndExit();
}

Result<UniqueFd> attach(int cgroupFd, int progFd, bpf_attach_type type, const std::string& what) {
    union bpf_attr a {};
    a.link_create.prog_fd = static_cast<uint32_t>(progFd);
    a.link_create.target_fd = static_cast<uint32_t>(cgroupFd);
    a.link_create.attach_type = type;
    int fd = static_cast<int>(bpf::call(BPF_LINK_CREATE, a));
    if (fd < 0) return errnoError("attach eBPF program {}", what);
    return UniqueFd(fd);
}

Result<uint64_t> currentNetnsCookie() {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s) return errnoError("socket");
    uint64_t cookie = 0;
    socklen_t len = sizeof cookie;
    if (::getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0)
        return errnoError("network namespace cookie (SO_NETNS_COOKIE)");
    return cookie;
}

}  // namespace

Result<RedirectTable> redirectTable(const std::vector<RedirectPort>& ports,
                                    const std::vector<std::string>& localAddrs) {
    std::vector<uint32_t> locals;
    for (const auto& a : localAddrs) locals.push_back(TRY(ip4(a, "local address")));
    RedirectTable t;
    for (const auto& p : ports) {
        if (p.containerPort == 0 || p.hostPort == 0)
            return invalid("published port {} -> {}:{}: no port", p.hostPort, p.containerIp,
                           p.containerPort);
        RedirectKey to{TRY(ip4(p.containerIp, "container address")), htons(p.containerPort)};
        uint32_t port = htons(p.hostPort);
        if (p.hostIp.empty() || p.hostIp == "0.0.0.0") {
            for (uint32_t a : locals) t[{a, port}] = to;
            continue;
        }
        uint32_t a = TRY(ip4(p.hostIp, "published port on"));
        if (std::find(locals.begin(), locals.end(), a) != locals.end()) t[{a, port}] = to;
    }
    return t;
}

Result<std::vector<std::string>> localIpv4Addresses() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return errnoError("list the local addresses");
    ScopeGuard g([&] { ::freeifaddrs(list); });
    std::vector<std::string> out;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        char buf[INET_ADDRSTRLEN] = {};
        auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
        if (::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) out.emplace_back(buf);
    }
    return out;
}

Result<std::unique_ptr<SocketRedirect>> SocketRedirect::open(const std::string& cgroupRoot) {
    std::unique_ptr<SocketRedirect> r(new SocketRedirect());
    r->cookie_ = TRY(currentNetnsCookie());
    r->svcMap_ = TRY(bpf::createMap(BPF_MAP_TYPE_HASH, sizeof(RedirectKey), sizeof(RedirectKey),
                                    kMaxEntries, "of published ports"));
    r->revMap_ = TRY(bpf::createMap(BPF_MAP_TYPE_LRU_HASH, sizeof(uint64_t), sizeof(RedirectKey),
                                    kMaxSockets, "of redirected sockets"));
    r->connectProg_ = TRY(bpf::loadProgram(
        BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT,
        connectProgram(r->cookie_, r->svcMap_.get(), r->revMap_.get()), "cgroup/connect4"));
    r->peerProg_ =
        TRY(bpf::loadProgram(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME,
                             peerProgram(r->revMap_.get()), "cgroup/getpeername4"));
    UniqueFd cg(::open(cgroupRoot.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cg) return errnoError("open cgroup {}", cgroupRoot);
    r->connectLink_ = TRY_CTX(
        attach(cg.get(), r->connectProg_.get(), BPF_CGROUP_INET4_CONNECT, "cgroup/connect4"), "{}",
        cgroupRoot);
    r->peerLink_ = TRY_CTX(
        attach(cg.get(), r->peerProg_.get(), BPF_CGROUP_INET4_GETPEERNAME, "cgroup/getpeername4"),
        "{}", cgroupRoot);
    return r;
}

SocketRedirect::~SocketRedirect() = default;

Status SocketRedirect::sync(const std::vector<RedirectPort>& ports) {
    auto want = TRY(redirectTable(ports, TRY(localIpv4Addresses())));
    for (auto it = current_.begin(); it != current_.end();) {
        if (want.count(it->first)) {
            ++it;
            continue;
        }
        union bpf_attr a {};
        a.map_fd = static_cast<uint32_t>(svcMap_.get());
        a.key = reinterpret_cast<uint64_t>(&it->first);
        if (bpf::call(BPF_MAP_DELETE_ELEM, a) != 0 && errno != ENOENT)
            return errnoError("remove a published port from the socket redirect");
        it = current_.erase(it);
    }
    size_t skipped = 0;
    for (const auto& [k, v] : want) {
        auto cur = current_.find(k);
        if (cur != current_.end() && cur->second == v) continue;
        union bpf_attr a {};
        a.map_fd = static_cast<uint32_t>(svcMap_.get());
        a.key = reinterpret_cast<uint64_t>(&k);
        a.value = reinterpret_cast<uint64_t>(&v);
        a.flags = BPF_ANY;
        if (bpf::call(BPF_MAP_UPDATE_ELEM, a) != 0) {
            if (errno != E2BIG) return errnoError("add a published port to the socket redirect");
            skipped++;
            continue;
        }
        current_[k] = v;
    }
    if (skipped)
        log::warn(
            "network: socket redirect full ({} entries): {} published addresses stay on "
            "the nftables path",
            kMaxEntries, skipped);
    return {};
}

Result<RedirectTable> SocketRedirect::entries() const {
    RedirectTable t;
    RedirectKey key{}, next{};
    bool first = true;
    for (;;) {
        union bpf_attr a {};
        a.map_fd = static_cast<uint32_t>(svcMap_.get());
        a.key = first ? 0 : reinterpret_cast<uint64_t>(&key);
        a.next_key = reinterpret_cast<uint64_t>(&next);
        if (bpf::call(BPF_MAP_GET_NEXT_KEY, a) != 0) {
            if (errno == ENOENT) break;
            return errnoError("read the socket redirect map");
        }
        RedirectKey v{};
        union bpf_attr l {};
        l.map_fd = static_cast<uint32_t>(svcMap_.get());
        l.key = reinterpret_cast<uint64_t>(&next);
        l.value = reinterpret_cast<uint64_t>(&v);
        if (bpf::call(BPF_MAP_LOOKUP_ELEM, l) == 0) t[next] = v;
        key = next;
        first = false;
    }
    return t;
}

}  // namespace berth::net
