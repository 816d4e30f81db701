// Dockerfile text -> logical lines -> instructions -> stages.
#include "image/build/dockerfile.h"

#include <cctype>
#include <regex>

namespace berth::image::build {

namespace {

bool isSpace(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::string_view ltrim(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    return s;
}

std::string_view rtrim(std::string_view s) {
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}

bool isComment(std::string_view line) {
    return ltrim(line).starts_with('#');
}

// Strips a trailing escape char (plus blanks after it); true when the line continues.
bool trimContinuation(std::string& line, char esc) {
    size_t e = line.size();
    while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
    if (e > 0 && line[e - 1] == esc) {
        line.resize(e - 1);
        return true;
    }
    return false;
}

struct Line {
    std::string text;
    int number;
};

// Parser directives: "# key=value" lines at the very top; anything else ends them.
Status readDirectives(const std::vector<std::string_view>& lines, Dockerfile& df, size_t& next) {
    static const std::regex re(R"(^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$)");
    bool seenEscape = false, seenSyntax = false;
    for (next = 0; next < lines.size(); next++) {
        std::string l(lines[next]);
        if (!l.empty() && l.back() == '\r') l.pop_back();
        std::smatch m;
        if (!std::regex_match(l, m, re)) return {};
        std::string key = m[1];
        for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = m[2];
        if (key == "escape") {
            if (seenEscape) return invalid("only one escape parser directive can be used");
            if (value != "\\" && value != "`") {
                return invalid("invalid escape token '{}' does not match ` or \\", value);
            }
            df.escape = value[0];
            seenEscape = true;
        } else if (key == "syntax") {
            if (seenSyntax) return invalid("only one syntax parser directive can be used");
            df.syntax = value;
            seenSyntax = true;
        }
        // Unknown directives (check=...) are accepted and ignored, as docker does.
    }
    return {};
}

Result<std::vector<Line>> logicalLines(std::string_view text, Dockerfile& df,
                                       const std::string& name) {
    std::vector<std::string_view> raw;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        raw.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    if (!raw.empty() && raw.front().starts_with("\xEF\xBB\xBF")) raw.front().remove_prefix(3);
    size_t i = 0;
    if (auto st = readDirectives(raw, df, i); !st) {
        return std::move(st).error().wrap(fmt::format("{}:{}", name, i + 1));
    }
    std::vector<Line> out;
    for (; i < raw.size(); i++) {
        std::string l(raw[i]);
        if (!l.empty() && l.back() == '\r') l.pop_back();
        if (isComment(l)) continue;
        l = std::string(ltrim(l));
        int start = static_cast<int>(i) + 1;
        bool more = trimContinuation(l, df.escape);
        if (!more && rtrim(l).empty()) continue;
        while (more && i + 1 < raw.size()) {
            std::string c(raw[++i]);
            if (!c.empty() && c.back() == '\r') c.pop_back();
            if (isComment(c) || rtrim(c).empty()) continue;
            more = trimContinuation(c, df.escape);
            l += c;
        }
        if (rtrim(l).empty()) continue;
        out.push_back({std::move(l), start});
    }
    return out;
}

bool validStageName(const std::string& n) {
    static const std::regex re("^[a-z][a-z0-9-_\\.]*$");
    return std::regex_match(n, re);
}

}  // namespace

Result<Dockerfile> parseDockerfile(std::string_view text, const std::string& name) {
    Dockerfile df;
    auto lines = TRY(logicalLines(text, df, name));
    if (lines.empty()) return invalid("the Dockerfile ({}) cannot be empty", name);
    for (const auto& l : lines) {
        auto where = fmt::format("{}:{}", name, l.number);
        auto in = parseInstruction(l.text, df.escape, l.number);
        if (!in) return std::move(in).error().wrap(where);
        if (in->cmd == "from") {
            Stage s;
            s.baseName = in->args[0];
            if (in->args.size() == 3) {
                s.name = in->args[2];
                for (auto& c : s.name) {
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                if (!validStageName(s.name)) {
                    return invalid(
                        "{}: invalid name for build stage: \"{}\", name can't start "
                        "with a number or contain symbols",
                        where, in->args[2]);
                }
                for (const auto& o : df.stages) {
                    if (o.name == s.name) {
                        return invalid("{}: duplicate name for build stage: \"{}\"", where, s.name);
                    }
                }
            }
            s.from = std::move(*in);
            df.stages.push_back(std::move(s));
        } else if (df.stages.empty()) {
            if (in->cmd != "arg") return invalid("{}: no build stage in current context", where);
            df.metaArgs.push_back(std::move(*in));
        } else {
            df.stages.back().commands.push_back(std::move(*in));
        }
    }
    if (df.stages.empty()) {
        return invalid("{}:{}: no build stage in current context", name, lines.back().number);
    }
    return df;
}

}  // namespace berth::image::build
