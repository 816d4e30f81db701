// `berth completion bash|zsh`: shell completion scripts generated from the command tree, so
// they always list the verbs, subcommands and flags this binary has. Container, image, network
// and volume arguments are completed by asking the daemon through berth itself.
#include <map>

#include "cli/verbs/util.h"

namespace berth::cli {

namespace {

struct Node {
    std::vector<std::string> subs, flags, valueFlags;
    std::string args;  // "container container..." - what each positional is
};

std::string argKinds(const std::string& use) {
    std::string out;
    size_t start = 0;
    while (start < use.size()) {
        auto sp = use.find(' ', start);
        std::string tok =
            use.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
        start = sp == std::string::npos ? use.size() : sp + 1;
        if (tok.empty() || tok == "[OPTIONS]") continue;
        std::string t = tok;
        while (!t.empty() && t[0] == '[') t.erase(0, 1);
        std::string kind = "none";
        for (const char* k : {"CONTAINER", "IMAGE", "NETWORK", "VOLUME"})
            if (t.rfind(k, 0) == 0 || t.find(std::string("_") + k) != std::string::npos) {
                std::string s = k;
                for (auto& ch : s) ch = static_cast<char>(std::tolower(ch));
                kind = s;
                break;
            }
        if (tok.find("...") != std::string::npos) kind += "...";
        out += (out.empty() ? "" : " ") + kind;
    }
    return out;
}

void collect(const Command& c, const std::string& path, std::map<std::string, Node>& out) {
    Node n;
    Flags f;
    if (c.flags) c.flags(f);
    for (auto& d : f.defs()) {
        if (d.hidden) continue;
        n.flags.push_back("--" + d.name);
        if (d.shorthand) n.flags.push_back(std::string("-") + d.shorthand);
        if (d.kind != FlagKind::Bool) {
            n.valueFlags.push_back("--" + d.name);
            if (d.shorthand) n.valueFlags.push_back(std::string("-") + d.shorthand);
        }
    }
    n.flags.push_back("--help");
    if (c.run) n.args = argKinds(c.use);
    for (auto& s : c.subs) {
        if (s.hidden) continue;
        std::vector<std::string> names{s.name};
        names.insert(names.end(), s.aliases.begin(), s.aliases.end());
        for (auto& nm : names) {
            n.subs.push_back(nm);
            collect(s, path + " " + nm, out);
        }
    }
    out[path] = std::move(n);
}

std::string joinWords(const std::vector<std::string>& v) {
    std::string s;
    for (auto& w : v) s += (s.empty() ? "" : " ") + w;
    return s;
}

std::map<std::string, Node> tree() {
    std::map<std::string, Node> m;
    collect(rootCommand(), "berth", m);
    // The root's options are the global ones.
    auto& r = m["berth"];
    r.flags = {"--config",    "--debug",     "-D",        "--host",      "-H",
               "--log-level", "-l",          "--tls",     "--tlscacert", "--tlscert",
               "--tlskey",    "--tlsverify", "--version", "-v",          "--help"};
    r.valueFlags = {"--config", "--host",      "-H",        "--log-level",
                    "-l",       "--tlscacert", "--tlscert", "--tlskey"};
    return m;
}

// Shared by both shells: tables as associative arrays keyed by the command path.
std::string tables(const char* declare) {
    std::string s;
    for (const char* t : {"subs", "flags", "valflags", "args"})
        s += fmt::format("{} _berth_{}\n", declare, t);
    for (auto& [path, n] : tree()) {
        s += fmt::format("_berth_subs[\"{}\"]=\"{}\"\n", path, joinWords(n.subs));
        s += fmt::format("_berth_flags[\"{}\"]=\"{}\"\n", path, joinWords(n.flags));
        s += fmt::format("_berth_valflags[\"{}\"]=\" {} \"\n", path, joinWords(n.valueFlags));
        s += fmt::format("_berth_args[\"{}\"]=\"{}\"\n", path, n.args);
    }
    return s;
}

constexpr const char* kLister = R"SH(
# Names the daemon knows, for an argument of this kind.
__berth_names() {
    case "$1" in
    container) berth ps -a --format '{{.Names}}' 2>/dev/null ;;
    image) berth images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>' ;;
    network) berth network ls --format '{{.Name}}' 2>/dev/null ;;
    volume) berth volume ls --format '{{.Name}}' 2>/dev/null ;;
    esac
}

# Walks the words before the cursor: sets __berth_path (the command reached), __berth_npos
# (positionals given) and __berth_value (1 when the cursor is on a flag's value).
__berth_walk() {
    local w skip=0
    __berth_path=berth __berth_npos=0 __berth_value=0
    for w in "$@"; do
        if [ "$skip" = 1 ]; then skip=0; continue; fi
        case "$w" in
        --) continue ;;
        -*=*) continue ;;
        -*) case "${_berth_valflags[$__berth_path]}" in *" $w "*) skip=1 ;; esac; continue ;;
        esac
        if [ "$__berth_npos" = 0 ] && [ -n "${_berth_subs[$__berth_path]}" ] &&
            case " ${_berth_subs[$__berth_path]} " in *" $w "*) true ;; *) false ;; esac; then
            __berth_path="$__berth_path $w"
        else
            __berth_npos=$((__berth_npos + 1))
        fi
    done
    __berth_value=$skip
}

# The kind of the next positional argument ("container", "image", ... or "none").
__berth_kind() {
    local kinds=(${_berth_args[$__berth_path]}) i=0 k last=none
    for k in "${kinds[@]}"; do
        if [ "$i" = "$__berth_npos" ]; then echo "${k%...}"; return; fi
        last=$k
        i=$((i + 1))
    done
    case "$last" in *...) echo "${last%...}" ;; *) echo none ;; esac
}
)SH";

std::string bashScript() {
    std::string s =
        "# bash completion for berth (generated by `berth completion bash`)\n"
        "# Load it with: source <(berth completion bash)\n";
    s += tables("declare -gA");
    s += kLister;
    s += R"SH(
_berth() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    __berth_walk "${COMP_WORDS[@]:1:COMP_CWORD-1}"
    COMPREPLY=()
    if [ "$__berth_value" = 1 ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "${_berth_flags[$__berth_path]}" -- "$cur"))
        return
    fi
    if [ "$__berth_npos" = 0 ] && [ -n "${_berth_subs[$__berth_path]}" ]; then
        COMPREPLY=($(compgen -W "${_berth_subs[$__berth_path]}" -- "$cur"))
        return
    fi
    local kind
    kind=$(__berth_kind)
    [ "$kind" = none ] && return
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$(__berth_names "$kind")" -- "$cur"))
}
complete -F _berth berth
)SH";
    return s;
}

std::string zshScript() {
    std::string s =
        "#compdef berth\n# zsh completion for berth (generated by `berth completion "
        "zsh`)\n# Load it with: source <(berth completion zsh)\n";
    s += tables("typeset -gA");
    s += kLister;
    s += R"SH(
_berth() {
    emulate -L zsh
    setopt shwordsplit
    local cur="${words[CURRENT]}"
    __berth_walk "${(@)words[2,CURRENT-1]}"
    if [ "$__berth_value" = 1 ]; then
        _files
        return
    fi
    if [[ "$cur" == -* ]]; then
        compadd -- ${=_berth_flags[$__berth_path]}
        return
    fi
    if [ "$__berth_npos" = 0 ] && [ -n "${_berth_subs[$__berth_path]}" ]; then
        compadd -- ${=_berth_subs[$__berth_path]}
        return
    fi
    local kind
    kind=$(__berth_kind)
    [ "$kind" = none ] && return
    compadd -- ${(f)"$(__berth_names "$kind")"}
}
if (( $+functions[compdef] )); then
    compdef _berth berth
fi
)SH";
    return s;
}

Command shellSub(std::string shell, std::string (*gen)()) {
    Command c;
    c.name = shell;
    c.shortHelp = "Generate the autocompletion script for " + shell;
    c.maxArgs = 0;
    c.run = [gen](Ctx& ctx, const Flags&) -> Result<int> {
        ctx.out(gen());
        return 0;
    };
    return c;
}

}  // namespace

Command cmdCompletion() {
    Command c;
    c.name = "completion";
    c.shortHelp = "Generate the autocompletion script for the specified shell";
    c.longHelp =
        "Generate the autocompletion script for berth for the specified shell.\n"
        "See each sub-command's help for details on how to use the generated script.";
    c.subs = {shellSub("bash", bashScript), shellSub("zsh", zshScript)};
    return c;
}

}  // namespace berth::cli
