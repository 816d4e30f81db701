// Running nft scripts through libnftables: one nft_run_cmd_from_buffer() call is one netlink
// batch, i.e. one transaction the kernel applies whole or not at all.
#include "network/firewall.h"

#include <set>

#include "common/log.h"
#include "network/sysctl.h"

#include <nftables/libnftables.h>

namespace berth::net {

struct Firewall::Ctx {
    nft_ctx* nft = nullptr;
    ~Ctx() {
        if (nft) nft_ctx_free(nft);
    }
};

namespace {

std::string trimmed(const char* s) {
    std::string r = s ? s : "";
    while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
    return r;
}

// nft reports "<file>:<line>:<col>: Error: <what>" followed by the offending line and a caret
// line; keep the message and the offending rule, drop the carets.
std::string nftMessage(const std::string& err) {
    std::string out;
    size_t pos = 0;
    while (pos < err.size()) {
        size_t nl = err.find('\n', pos);
        std::string line = err.substr(pos, nl == std::string::npos ? nl : nl - pos);
        pos = nl == std::string::npos ? err.size() : nl + 1;
        if (line.find_first_not_of(" \t^~") == std::string::npos) continue;
        size_t e = line.find("Error: ");
        if (e != std::string::npos) line = line.substr(e + 7);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.erase(0, 1);
        if (!out.empty()) out += " | ";
        out += line;
    }
    return out;
}

// A hint for the errors that mean "this kernel cannot do it" rather than "bad rule".
std::string hint(const std::string& msg) {
    if (msg.find("Operation not supported") != std::string::npos ||
        msg.find("No such file or directory") != std::string::npos)
        return " (the kernel lacks an nftables feature Berth needs: nf_tables with ip/ip6 "
               "families, nat, masquerade, fib, ct, numgen)";
    if (msg.find("Operation not permitted") != std::string::npos)
        return " (CAP_NET_ADMIN in the daemon's network namespace is needed)";
    return "";
}

}  // namespace

Firewall::Firewall(FirewallOptions o, std::unique_ptr<Ctx> c)
    : opts_(std::move(o)), ctx_(std::move(c)) {}

Firewall::~Firewall() = default;

Result<std::unique_ptr<Firewall>> Firewall::open(FirewallOptions o) {
    auto c = std::make_unique<Ctx>();
    c->nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!c->nft) return makeError(ENOMEM, "nftables: nft_ctx_new failed");
    if (nft_ctx_buffer_output(c->nft) || nft_ctx_buffer_error(c->nft))
        return makeError(ENOMEM, "nftables: cannot buffer output");
    std::unique_ptr<Firewall> fw(new Firewall(std::move(o), std::move(c)));
    // Probe: a ruleset using every feature we need, checked by the kernel in a transaction that
    // is never committed (dry run), so a missing feature shows now and the rules a previous
    // daemon left in place keep working until the first apply().
    FirewallState s;
    s.networks.push_back({"berth-probe", {"10.0.0.0/24"}, {"fd00::/64"}, false, true});
    s.networks.push_back({"berth-probe2", {"10.0.1.0/24"}, {}, true, true});
    for (auto [proto, port] : {std::pair{"tcp", 1}, {"udp", 2}, {"sctp", 3}}) {
        s.ports.push_back({proto, "", static_cast<uint16_t>(port), "10.0.0.2", 1, "berth-probe"});
        s.ports.push_back(
            {proto, "10.0.0.1", static_cast<uint16_t>(port), "10.0.0.2", 1, "berth-probe"});
        s.ports.push_back({proto, "", static_cast<uint16_t>(port), "fd00::2", 1, "berth-probe"});
    }
    s.services.push_back({"10.1.0.1", "tcp", 1, {{"10.0.0.2", 1}, {"10.0.0.3", 1}}});
    s.services.push_back({"fd01::1", "udp", 1, {{"fd00::2", 1}}});
    std::string probe = TRY(renderRuleset(s, fw->opts_.table + "_probe"));
    std::lock_guard lk(fw->mu_);
    nft_ctx_set_dry_run(fw->ctx_->nft, true);
    auto st = fw->run(probe);
    nft_ctx_set_dry_run(fw->ctx_->nft, false);
    if (!st) return st.error().wrap("nftables not usable");
    return fw;
}

Result<std::string> Firewall::run(const std::string& script) {
    int rc = nft_run_cmd_from_buffer(ctx_->nft, script.c_str());
    std::string out = trimmed(nft_ctx_get_output_buffer(ctx_->nft));
    std::string err = trimmed(nft_ctx_get_error_buffer(ctx_->nft));
    if (rc != 0) {
        std::string m = nftMessage(err.empty() ? "unknown error" : err);
        return Error{0, m + hint(m)};
    }
    return out;
}

Status Firewall::apply(const FirewallState& s) {
    std::string full = TRY_CTX(renderRuleset(s, opts_.table), "firewall rules");
    FirewallState bare = s;
    bare.ports.clear();
    std::string skeleton = TRY_CTX(renderRuleset(bare, opts_.table), "firewall rules");
    {
        std::lock_guard lk(mu_);
        bool done = false;
        if (skeleton == lastSkeleton_) {
            // Somebody may have deleted our table behind our back: then the full script.
            std::string ports = TRY_CTX(renderPortUpdate(s, opts_.table), "firewall rules");
            done = run(ports).ok();
        }
        lastSkeleton_.clear();
        if (!done) TRY_CTX(run(full), "apply firewall rules");
        lastSkeleton_ = std::move(skeleton);
    }
    if (!opts_.manageSysctls) return okStatus();
    bool fwd4 = false, fwd6 = false;
    for (auto& n : s.networks) {
        if (n.internal) continue;
        fwd4 = true;
        fwd6 = fwd6 || !n.subnets6.empty();
    }
    if (fwd4) TRY_CTX(enableIpForward(fwd6), "apply firewall rules");
    for (auto& n : s.networks) {
        auto st = enableRouteLocalnet(n.bridge);
        // The bridge may not exist yet (rules name interfaces, they do not need them); it gets
        // the setting at the next apply after its creation.
        if (!st && st.error().code != ENOENT) return st.error().wrap("apply firewall rules");
    }
    return okStatus();
}

Status Firewall::removeAll() {
    std::lock_guard lk(mu_);
    lastSkeleton_.clear();
    TRY_CTX(run(renderRemoval(opts_.table)), "remove firewall rules");
    return okStatus();
}

Result<std::string> Firewall::list() {
    std::lock_guard lk(mu_);
    std::string out;
    for (const char* fam : {"ip", "ip6"}) {
        auto tables = TRY_CTX(run(std::string("list tables ") + fam), "list firewall rules");
        std::string want = fmt::format("table {} {}", fam, opts_.table);
        bool found = false;
        for (size_t pos = 0; pos <= tables.size() && !found;) {
            size_t nl = tables.find('\n', pos);
            if (nl == std::string::npos) nl = tables.size();
            found = tables.compare(pos, nl - pos, want) == 0;
            pos = nl + 1;
        }
        if (!found) continue;
        out +=
            TRY_CTX(run(fmt::format("list table {} {}", fam, opts_.table)), "list firewall rules");
        out += "\n";
    }
    return out;
}

}  // namespace berth::net
