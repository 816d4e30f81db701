// Dockerfile word processing for --change values: quotes, escapes, $VAR (see changes.h).
#include "image/transfer/changes.h"

#include <cctype>

namespace berth::image::transfer {

namespace {

bool isNameChar(char c, bool first) {
    return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
}

std::string lookupEnv(const std::vector<std::string>& env, std::string_view name, bool* set) {
    *set = false;
    std::string value;
    for (const auto& kv : env) {  // the last definition wins
        if (kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 &&
            kv[name.size()] == '=') {
            value = kv.substr(name.size() + 1);
            *set = true;
        }
    }
    return value;
}

class Lexer {
  public:
    Lexer(std::string_view s, const std::vector<std::string>& env) : s_(s), env_(env) {}

    Result<std::string> word() {
        std::string out;
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '\\') {
                if (i_ < s_.size())
                    out += s_[i_++];
                else
                    out += c;
            } else if (c == '\'') {
                size_t end = s_.find('\'', i_);
                if (end == std::string_view::npos)
                    return invalid(
                        "unexpected end of statement while looking for matching "
                        "single-quote");
                out.append(s_.substr(i_, end - i_));
                i_ = end + 1;
            } else if (c == '"') {
                TRY(doubleQuoted(out));
            } else if (c == '$') {
                out += TRY(dollar());
            } else {
                out += c;
            }
        }
        return out;
    }

  private:
    Status doubleQuoted(std::string& out) {
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '"') return {};
            if (c == '\\' && i_ < s_.size()) {
                char n = s_[i_];
                if (n == '"' || n == '\\' || n == '$' || n == '`') {
                    out += n;
                    ++i_;
                } else {
                    out += c;
                }
            } else if (c == '$') {
                out += TRY(dollar());
            } else {
                out += c;
            }
        }
        return invalid("unexpected end of statement while looking for matching double-quote");
    }

    // After a '$': a variable reference, or a literal '$'.
    Result<std::string> dollar() {
        bool set = false;
        if (i_ < s_.size() && s_[i_] == '{') {
            size_t start = ++i_;
            while (i_ < s_.size() && isNameChar(s_[i_], i_ == start)) ++i_;
            std::string name(s_.substr(start, i_ - start));
            if (name.empty()) return invalid("bad substitution: missing variable name");
            if (i_ >= s_.size()) return invalid("missing '}}' in ${{{}", name);
            if (s_[i_] == '}') {
                ++i_;
                return lookupEnv(env_, name, &set);
            }
            bool colon = s_[i_] == ':';
            if (colon) ++i_;
            if (i_ >= s_.size() || (s_[i_] != '-' && s_[i_] != '+'))
                return invalid("unsupported modifier in ${{{}}}", name);
            char mod = s_[i_++];
            // The word runs to the matching '}' and is itself processed.
            size_t wstart = i_;
            int depth = 1;
            for (; i_ < s_.size(); ++i_) {
                if (s_[i_] == '{') ++depth;
                if (s_[i_] == '}' && --depth == 0) break;
            }
            if (i_ >= s_.size()) return invalid("missing '}}' in ${{{}", name);
            std::string_view wraw = s_.substr(wstart, i_ - wstart);
            ++i_;
            std::string value = lookupEnv(env_, name, &set);
            bool present = colon ? (set && !value.empty()) : set;
            if (mod == '-') return present ? value : TRY(Lexer(wraw, env_).word());
            return present ? TRY(Lexer(wraw, env_).word()) : std::string();
        }
        size_t start = i_;
        while (i_ < s_.size() && isNameChar(s_[i_], i_ == start)) ++i_;
        if (i_ == start) return std::string("$");
        return lookupEnv(env_, s_.substr(start, i_ - start), &set);
    }

    std::string_view s_;
    const std::vector<std::string>& env_;
    size_t i_ = 0;
};

}  // namespace

Result<std::string> processWord(std::string_view word, const std::vector<std::string>& env) {
    return Lexer(word, env).word();
}

Result<std::vector<std::string>> splitWords(std::string_view s) {
    std::vector<std::string> words;
    std::string cur;
    bool inWord = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quote == 0 && std::isspace(static_cast<unsigned char>(c))) {
            if (inWord) words.push_back(std::move(cur));
            cur.clear();
            inWord = false;
            continue;
        }
        inWord = true;
        cur += c;
        if (c == '\\' && quote != '\'' && i + 1 < s.size()) {
            cur += s[++i];
        } else if (quote == 0 && (c == '\'' || c == '"')) {
            quote = c;
        } else if (c == quote) {
            quote = 0;
        }
    }
    if (quote != 0) return invalid("unmatched {} quote in \"{}\"", quote, s);
    if (inWord) words.push_back(std::move(cur));
    return words;
}

Result<int64_t> parseDuration(std::string_view s) {
    if (s == "0") return int64_t{0};
    if (s.empty()) return invalid("invalid duration \"\"");
    double total = 0;
    size_t i = 0;
    while (i < s.size()) {
        size_t start = i;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
        if (i == start) return invalid("invalid duration \"{}\"", s);
        double v = std::stod(std::string(s.substr(start, i - start)));
        size_t ustart = i;
        while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
        auto unit = s.substr(ustart, i - ustart);
        double mult = unit == "ns"                   ? 1
                      : unit == "us" || unit == "µs" ? 1e3
                      : unit == "ms"                 ? 1e6
                      : unit == "s"                  ? 1e9
                      : unit == "m"                  ? 60e9
                      : unit == "h"                  ? 3600e9
                                                     : -1;
        if (mult < 0) return invalid("invalid duration \"{}\": unknown unit \"{}\"", s, unit);
        total += v * mult;
    }
    return static_cast<int64_t>(total);
}

}  // namespace berth::image::transfer
