// One instruction line -> Instruction: the name, leading --flags, and arguments shaped per
// instruction as docker's parser does (JSON or shell form, name=value pairs, plain words).
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "image/build/dockerfile.h"

namespace berth::image::build {

namespace {

bool isSpace(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && isSpace(s[b])) b++;
    while (e > b && isSpace(s[e - 1])) e--;
    return std::string(s.substr(b, e - b));
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::vector<std::string> splitWhitespace(std::string_view s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && isSpace(s[i])) i++;
        size_t b = i;
        while (i < s.size() && !isSpace(s[i])) i++;
        if (i > b) out.emplace_back(s.substr(b, i - b));
    }
    return out;
}

// Leading "--name[=value]" words (quotes removed, \ escapes); returns the rest of the line.
std::string extractFlags(std::string_view line, std::vector<std::string>& words) {
    enum { Spaces, Word, Quote } phase = Spaces;
    std::string word;
    char quote = 0;
    bool blankOk = false;
    for (size_t pos = 0; pos <= line.size(); pos++) {
        char ch = pos < line.size() ? line[pos] : 0;
        if (phase == Spaces) {
            if (pos == line.size()) break;
            if (isSpace(ch)) continue;
            if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
                return std::string(line.substr(pos));
            }
            phase = Word;
        }
        if (pos == line.size()) {
            if (word != "--" && (blankOk || !word.empty())) words.push_back(word);
            break;
        }
        if (phase == Word) {
            if (isSpace(ch)) {
                phase = Spaces;
                if (word == "--") return std::string(line.substr(pos));
                if (blankOk || !word.empty()) words.push_back(word);
                word.clear();
                blankOk = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blankOk = true;
                phase = Quote;
                continue;
            }
            if (ch == '\\') {
                if (pos + 1 == line.size()) continue;
                ch = line[++pos];
            }
            word += ch;
            continue;
        }
        if (ch == quote) {
            phase = Word;
            continue;
        }
        if (ch == '\\') {
            if (pos + 1 == line.size()) {
                phase = Word;
                continue;
            }
            ch = line[++pos];
        }
        word += ch;
    }
    return "";
}

// Words split on whitespace outside quotes; quotes and escapes are kept (removed later by the
// expansion), as docker's parseWords.
std::vector<std::string> parseWords(std::string_view rest, char esc) {
    enum { Spaces, Word, Quote } phase = Spaces;
    std::vector<std::string> words;
    std::string word;
    char quote = 0;
    bool blankOk = false;
    for (size_t pos = 0; pos <= rest.size(); pos++) {
        char ch = pos < rest.size() ? rest[pos] : 0;
        if (phase == Spaces) {
            if (pos == rest.size()) break;
            if (isSpace(ch)) continue;
            phase = Word;
        }
        if (pos == rest.size()) {
            if (blankOk || !word.empty()) words.push_back(word);
            break;
        }
        if (phase == Word) {
            if (isSpace(ch)) {
                phase = Spaces;
                if (blankOk || !word.empty()) words.push_back(word);
                word.clear();
                blankOk = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blankOk = true;
                phase = Quote;
            }
            if (ch == esc) {
                if (pos + 1 == rest.size()) continue;
                word += ch;
                ch = rest[++pos];
            }
            word += ch;
            continue;
        }
        if (ch == quote) phase = Word;
        if (ch == esc && quote != '\'') {
            if (pos + 1 == rest.size()) {
                phase = Word;
                continue;
            }
            word += ch;
            ch = rest[++pos];
        }
        word += ch;
    }
    return words;
}

// A JSON array of strings; nullopt when the text is not JSON at all (then it is shell form).
Result<std::optional<std::vector<std::string>>> parseJsonArray(const std::string& rest,
                                                               const std::string& cmd) {
    if (!rest.starts_with('[')) return std::optional<std::vector<std::string>>();
    auto j = nlohmann::json::parse(rest, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return std::optional<std::vector<std::string>>();
    std::vector<std::string> out;
    for (const auto& e : j) {
        if (!e.is_string()) return invalid("{}: JSON arguments must be an array of strings", cmd);
        out.push_back(e.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
}

Status parseNameVal(Instruction& in, const std::string& rest, char esc, const std::string& cmd) {
    auto words = parseWords(rest, esc);
    if (words.empty()) return invalid("{} requires at least one argument", cmd);
    if (words[0].find('=') == std::string::npos) {
        // Legacy "ENV key value": the value is the rest of the line.
        size_t i = 0;
        while (i < rest.size() && !isSpace(rest[i])) i++;
        std::string value = trim(std::string_view(rest).substr(i));
        if (value.empty()) return invalid("{} must have two arguments", cmd);
        in.args = {rest.substr(0, i), value};
        return {};
    }
    for (const auto& w : words) {
        auto eq = w.find('=');
        if (eq == std::string::npos) {
            return invalid("Syntax error - can't find = in \"{}\". Must be of the form: name=value",
                           w);
        }
        if (eq == 0) return invalid("{} names can not be blank", cmd);
        in.args.push_back(w.substr(0, eq));
        in.args.push_back(w.substr(eq + 1));
    }
    return {};
}

Status parseHealthcheck(Instruction& in, const std::string& rest) {
    auto sp = rest.find_first_of(" \t");
    std::string type = upper(rest.substr(0, sp));
    std::string tail = sp == std::string::npos ? "" : trim(rest.substr(sp));
    if (type.empty()) return invalid("HEALTHCHECK requires at least one argument");
    if (type == "NONE") {
        if (!tail.empty()) return invalid("HEALTHCHECK NONE takes no arguments");
        in.args = {"NONE"};
        return {};
    }
    if (type != "CMD") return invalid("Unknown type \"{}\" in HEALTHCHECK (try CMD)", type);
    if (tail.empty()) return invalid("Missing command after HEALTHCHECK CMD");
    auto arr = TRY(parseJsonArray(tail, "HEALTHCHECK"));
    if (arr) {
        in.json = true;
        in.args = {"CMD"};
        in.args.insert(in.args.end(), arr->begin(), arr->end());
    } else {
        in.args = {"CMD-SHELL", tail};
    }
    return {};
}

const std::map<std::string, std::vector<std::string>>& allowedFlags() {
    static const std::map<std::string, std::vector<std::string>> m = {
        {"add", {"chown", "chmod", "checksum", "keep-git-dir", "link"}},
        {"arg", {}},
        {"cmd", {}},
        {"copy", {"from", "chown", "chmod", "link"}},
        {"entrypoint", {}},
        {"env", {}},
        {"expose", {}},
        {"from", {"platform"}},
        {"healthcheck", {"interval", "timeout", "start-period", "start-interval", "retries"}},
        {"label", {}},
        {"maintainer", {}},
        {"onbuild", {}},
        {"run", {}},
        {"shell", {}},
        {"stopsignal", {}},
        {"user", {}},
        {"volume", {}},
        {"workdir", {}},
    };
    return m;
}

Status parseArgs(Instruction& in, const std::string& rest, char esc) {
    const std::string cmd = upper(in.cmd);
    const std::string& c = in.cmd;
    if (c == "run" || c == "cmd" || c == "entrypoint" || c == "shell") {
        auto arr = TRY(parseJsonArray(rest, cmd));
        if (arr) {
            in.json = true;
            in.args = std::move(*arr);
            if (c == "run" && in.args.empty()) return invalid("RUN requires at least one argument");
        } else if (c == "shell") {
            return invalid("SHELL requires the arguments to be in JSON form");
        } else {
            if (rest.empty()) return invalid("{} requires at least one argument", cmd);
            in.args = {rest};
        }
        if (c == "shell" && in.args.empty()) return invalid("SHELL requires at least one argument");
        return {};
    }
    if (c == "copy" || c == "add" || c == "volume") {
        auto arr = TRY(parseJsonArray(rest, cmd));
        if (arr) {
            in.json = true;
            in.args = std::move(*arr);
        } else {
            in.args = splitWhitespace(rest);
        }
        if (c == "volume") {
            if (in.args.empty()) return invalid("VOLUME requires at least one argument");
            for (const auto& v : in.args) {
                if (trim(v).empty()) return invalid("VOLUME specified can not be an empty string");
            }
        } else if (in.args.size() < 2) {
            return invalid(
                "{} requires at least two arguments, but only one was provided. "
                "Destination could not be determined.",
                cmd);
        }
        return {};
    }
    if (c == "env" || c == "label") return parseNameVal(in, rest, esc, cmd);
    if (c == "arg") {
        in.args = parseWords(rest, esc);
        if (in.args.empty()) return invalid("ARG requires at least one argument");
        for (const auto& a : in.args) {
            if (a.empty() || a[0] == '=') return invalid("ARG names can not be blank");
        }
        return {};
    }
    if (c == "from") {
        in.args = splitWhitespace(rest);
        if (in.args.empty()) return invalid("FROM requires an image name");
        if (in.args.size() != 1 && in.args.size() != 3) {
            return invalid("FROM requires either one or three arguments");
        }
        if (in.args.size() == 3 && upper(in.args[1]) != "AS") {
            return invalid("FROM: expected 'AS' but got '{}'", in.args[1]);
        }
        return {};
    }
    if (c == "expose") {
        in.args = splitWhitespace(rest);
        if (in.args.empty()) return invalid("EXPOSE requires at least one argument");
        return {};
    }
    if (c == "healthcheck") return parseHealthcheck(in, rest);
    if (c == "onbuild") {
        if (rest.empty()) return invalid("ONBUILD requires at least one argument");
        auto sub = TRY(parseInstruction(rest, esc, in.line));
        if (sub.cmd == "onbuild") {
            return invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        }
        if (sub.cmd == "from" || sub.cmd == "maintainer") {
            return invalid("{} isn't allowed as an ONBUILD trigger", upper(sub.cmd));
        }
        in.args = {rest};
        return {};
    }
    // maintainer user workdir stopsignal: one string.
    if (rest.empty()) return invalid("{} requires exactly one argument", cmd);
    in.args = {rest};
    return {};
}

}  // namespace

const Flag* Instruction::flag(std::string_view name) const {
    const Flag* found = nullptr;
    for (const auto& f : flags) {
        if (f.name == name) found = &f;
    }
    return found;
}

std::string Instruction::flagValue(std::string_view name) const {
    const Flag* f = flag(name);
    return f && f->value ? *f->value : "";
}

Result<Instruction> parseInstruction(std::string_view text, char escape, int lineNo) {
    Instruction in;
    in.line = lineNo;
    in.original = trim(text);
    size_t sp = 0;
    while (sp < in.original.size() && !isSpace(in.original[sp])) sp++;
    std::string word = in.original.substr(0, sp);
    in.cmd = word;
    for (auto& ch : in.cmd) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto allowed = allowedFlags().find(in.cmd);
    if (allowed == allowedFlags().end()) return invalid("unknown instruction: {}", upper(word));
    std::vector<std::string> flagWords;
    std::string rest = trim(extractFlags(std::string_view(in.original).substr(sp), flagWords));
    for (const auto& w : flagWords) {
        Flag f;
        auto eq = w.find('=');
        f.name = w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        if (eq != std::string::npos) f.value = w.substr(eq + 1);
        const auto& ok = allowed->second;
        if (std::find(ok.begin(), ok.end(), f.name) == ok.end()) {
            return invalid("unknown flag: {}", f.name);
        }
        in.flags.push_back(std::move(f));
    }
    TRY(parseArgs(in, rest, escape));
    return in;
}

}  // namespace berth::image::build
