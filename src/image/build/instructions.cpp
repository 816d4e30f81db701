// Metadata steps: each changes the runtime config and commits an empty layer, with the
// created_by text docker's classic builder records.
#include <algorithm>
#include <charconv>

#include "image/build/builder_impl.h"
#include "image/build/history_text.h"
#include "runtime/container.h"

namespace berth::image::build {

namespace {

void setEnv(std::vector<std::string>& env, const std::string& key, const std::string& value) {
    for (auto& e : env) {
        if (e.substr(0, e.find('=')) == key) {
            e = key + "=" + value;
            return;
        }
    }
    env.push_back(key + "=" + value);
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

Result<int> parsePort(std::string_view s, std::string_view spec) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 65535) {
        return invalid("invalid containerPort: {}", spec);
    }
    return v;
}

// "80", "80/udp", "8000-8010/tcp", "127.0.0.1:8080:80" (only the container side counts).
Status addPorts(const std::string& spec, std::vector<std::string>& out) {
    std::string s = spec, proto = "tcp";
    if (auto slash = s.find('/'); slash != std::string::npos) {
        proto = s.substr(slash + 1);
        s = s.substr(0, slash);
        for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (proto != "tcp" && proto != "udp" && proto != "sctp") {
            return invalid("invalid proto: {}", proto);
        }
    }
    if (auto colon = s.rfind(':'); colon != std::string::npos) s = s.substr(colon + 1);
    auto dash = s.find('-');
    int lo = TRY(parsePort(std::string_view(s).substr(0, dash), spec));
    int hi =
        dash == std::string::npos ? lo : TRY(parsePort(std::string_view(s).substr(dash + 1), spec));
    if (hi < lo) return invalid("invalid range specified for container port: {}", spec);
    for (int p = lo; p <= hi; p++) out.push_back(fmt::format("{}/{}", p, proto));
    return {};
}

}  // namespace

Lookup Builder::envFor(const StageState& st) const {
    return [this, &st](std::string_view name) -> std::optional<std::string> {
        std::optional<std::string> v;
        for (const auto& e : st.config.env) {
            auto eq = e.find('=');
            if (std::string_view(e).substr(0, eq) == name) {
                v = eq == std::string::npos ? "" : e.substr(eq + 1);
            }
        }
        if (v) return v;
        for (const auto& [k, val] : st.args) {
            if (k == name) v = val;
        }
        if (v) return v;
        std::string n(name);
        if (isProxyArg(n)) {
            if (auto b = o_.buildArgs.find(n); b != o_.buildArgs.end()) return b->second;
        }
        return std::nullopt;
    };
}

Result<std::string> Builder::expand(const StageState& st, const std::string& word) const {
    return lex_.processWord(word, envFor(st));
}

std::vector<std::string> Builder::shellOf(const StageState& st) const {
    if (!st.config.shell.empty()) return st.config.shell;
    return {"/bin/sh", "-c"};
}

Status Builder::stepEnv(StageState& st, const Instruction& in) {
    // Every pair is expanded against the environment before this instruction.
    Lookup before = envFor(st);
    std::string comment = "ENV";
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i + 1 < in.args.size(); i += 2) {
        std::string k = TRY(lex_.processWord(in.args[i], before));
        std::string v = TRY(lex_.processWord(in.args[i + 1], before));
        if (k.empty()) return invalid("ENV names can not be blank");
        pairs.emplace_back(k, v);
    }
    for (const auto& [k, v] : pairs) {
        setEnv(st.config.env, k, v);
        comment += " " + k + "=" + v;
    }
    return commitMeta(st, comment);
}

Status Builder::stepLabel(StageState& st, const Instruction& in) {
    std::string comment = "LABEL";
    for (size_t i = 0; i + 1 < in.args.size(); i += 2) {
        std::string k = TRY(expand(st, in.args[i]));
        std::string v = TRY(expand(st, in.args[i + 1]));
        if (k.empty()) return invalid("LABEL names can not be blank");
        st.config.labels[k] = v;
        comment += " " + k + "=" + v;
    }
    return commitMeta(st, comment);
}

Status Builder::stepArg(StageState& st, const Instruction& in) {
    std::string comment = "ARG";
    for (const auto& word : in.args) {
        auto eq = word.find('=');
        std::string name = word.substr(0, eq);
        std::optional<std::string> def, value;
        if (eq != std::string::npos) def = TRY(expand(st, word.substr(eq + 1)));
        if (auto b = o_.buildArgs.find(name); b != o_.buildArgs.end()) {
            value = b->second;
        } else if (def) {
            value = def;
        } else {
            for (const auto& [k, v] : metaArgs_) {
                if (k == name) value = v;
            }
        }
        st.args.emplace_back(name, value);
        usedArgs_.insert(name);
        comment += " " + name + (def ? "=" + *def : "");
    }
    return commitMeta(st, comment);
}

Status Builder::stepCmd(StageState& st, const Instruction& in) {
    std::vector<std::string> cmd = in.args;
    if (!in.json) {
        cmd = shellOf(st);
        cmd.push_back(in.args[0]);
    }
    st.config.cmd = cmd;
    st.cmdSet = true;
    return commitMeta(st, "CMD " + goQuoteList(cmd));
}

Status Builder::stepEntrypoint(StageState& st, const Instruction& in) {
    std::vector<std::string> ep = in.args;
    if (!in.json) {
        ep = shellOf(st);
        ep.push_back(in.args[0]);
    }
    if (ep.empty()) {
        st.config.entrypoint.reset();
    } else {
        st.config.entrypoint = ep;
    }
    // As docker: an ENTRYPOINT resets a CMD inherited from the base image.
    if (!st.cmdSet) st.config.cmd.reset();
    return commitMeta(st, "ENTRYPOINT " + goQuoteList(ep));
}

Status Builder::stepExpose(StageState& st, const Instruction& in) {
    std::vector<std::string> ports;
    for (const auto& a : in.args) {
        for (const auto& w : TRY(lex_.processWords(a, envFor(st)))) TRY(addPorts(w, ports));
    }
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    std::string comment = "EXPOSE";
    for (const auto& p : ports) {
        st.config.exposedPorts[p] = {};
        comment += " " + p;
    }
    return commitMeta(st, comment);
}

Status Builder::stepVolume(StageState& st, const Instruction& in) {
    std::vector<std::string> vols;
    for (const auto& a : in.args) {
        std::string v = TRY(expand(st, a));
        if (v.find_first_not_of(" \t") == std::string::npos) {
            return invalid("VOLUME specified can not be an empty string");
        }
        vols.push_back(v);
        st.config.volumes[v] = {};
    }
    return commitMeta(st, "VOLUME " + goList(vols));
}

Status Builder::stepHealthcheck(StageState& st, const Instruction& in) {
    HealthConfig h;
    if (in.args[0] == "NONE") {
        h.test = {"NONE"};
    } else {
        h.test = in.args;
        auto dur = [&](const char* name, int64_t& outNs) -> Status {
            const Flag* f = in.flag(name);
            if (!f) return {};
            int64_t v = TRY_CTX(parseGoDuration(f->value.value_or("")), "--{}", name);
            if (v != 0 && v < 1000000) {
                return invalid("--{} cannot be less than 1ms", name);
            }
            if (v < 0) return invalid("--{} cannot be negative", name);
            outNs = v;
            return {};
        };
        TRY(dur("interval", h.interval));
        TRY(dur("timeout", h.timeout));
        TRY(dur("start-period", h.startPeriod));
        TRY(dur("start-interval", h.startInterval));
        if (const Flag* f = in.flag("retries")) {
            std::string v = f->value.value_or("");
            int r = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), r);
            if (ec != std::errc() || p != v.data() + v.size()) {
                return invalid("--retries: invalid number \"{}\"", v);
            }
            if (r < 0) return invalid("--retries cannot be negative");
            h.retries = r;
        }
    }
    st.config.healthcheck = h;
    return commitMeta(st, "HEALTHCHECK " + healthcheckText(h));
}

// USER, STOPSIGNAL, SHELL, MAINTAINER, ONBUILD.
Status Builder::stepSimple(StageState& st, const Instruction& in) {
    const std::string& c = in.cmd;
    if (c == "user") {
        st.config.user = TRY(expand(st, in.args[0]));
        return commitMeta(st, "USER " + st.config.user);
    }
    if (c == "stopsignal") {
        std::string sig = TRY(expand(st, in.args[0]));
        TRY_CTX(runtime::parseSignal(sig), "STOPSIGNAL");
        st.config.stopSignal = sig;
        return commitMeta(st, "STOPSIGNAL " + sig);
    }
    if (c == "shell") {
        st.config.shell = in.args;
        return commitMeta(st, "SHELL " + goList(in.args));
    }
    if (c == "maintainer") {
        st.author = in.args[0];
        return commitMeta(st, "MAINTAINER " + st.author);
    }
    if (c == "onbuild") {
        std::string t = in.args[0];
        auto sp = t.find_first_of(" \t");
        std::string word = upper(t.substr(0, sp));
        if (word == "ONBUILD")
            return invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (word == "FROM" || word == "MAINTAINER") {
            return invalid("{} isn't allowed as an ONBUILD trigger", word);
        }
        st.config.onBuild.push_back(t);
        return commitMeta(st, "ONBUILD " + t);
    }
    return invalid("unknown instruction: {}", upper(c));
}

}  // namespace berth::image::build
