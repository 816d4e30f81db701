#include "compose/dotenv.h"

#include <fmt/format.h>

#include "common/sys.h"

namespace berth::compose {
namespace {

bool isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Letters, digits, '_' and '.', as compose-go; bytes of non-ASCII UTF-8 letters pass too.
bool isKeyChar(char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

class DotenvParser {
  public:
    DotenvParser(std::string_view text, std::string_view file, const Lookup& lookup)
        : text_(text), file_(file), outer_(lookup) {
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 BOM
    }

    Result<EnvList> run() {
        for (;;) {
            skipSpaceAndComments();
            if (atEnd()) break;
            TRY(statement());
        }
        return std::move(out_);
    }

  private:
    bool atEnd() const { return pos_ >= text_.size(); }
    char cur() const { return text_[pos_]; }

    template <typename... A>
    Error fail(int line, fmt::format_string<A...> f, A&&... a) const {
        return invalid("{}:{}: {}", file_, line, fmt::format(f, std::forward<A>(a)...));
    }

    // The rest of the current line from `from`, for messages.
    std::string_view restOfLine(size_t from) const {
        size_t e = text_.find('\n', from);
        std::string_view s = text_.substr(from, e == std::string_view::npos ? e : e - from);
        while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
        return s;
    }

    void skipBlanks() {
        while (!atEnd() && isBlank(cur())) ++pos_;
    }
    void skipToEol() {
        while (!atEnd() && cur() != '\n') ++pos_;
    }
    void skipSpaceAndComments() {
        while (!atEnd()) {
            if (cur() == '\n') {
                ++line_;
                ++pos_;
            } else if (isBlank(cur())) {
                ++pos_;
            } else if (cur() == '#') {
                skipToEol();
            } else {
                return;
            }
        }
    }

    // Earlier keys of this file first, then the caller's lookup.
    std::optional<std::string> lookup(std::string_view name) const {
        for (auto it = out_.rbegin(); it != out_.rend(); ++it) {
            if (it->first == name && it->second) return it->second;
        }
        if (outer_) return outer_(name);
        return std::nullopt;
    }

    Result<std::string> expand(std::string_view raw, int line) const {
        Lookup l = [this](std::string_view n) { return lookup(n); };
        auto r = interpolate(raw, l);
        if (!r) return fail(line, "{}", r.error().msg);
        return std::move(r).value();
    }

    void store(std::string key, std::optional<std::string> value) {
        for (auto& kv : out_) {
            if (kv.first == key) {
                kv.second = std::move(value);
                return;
            }
        }
        out_.emplace_back(std::move(key), std::move(value));
    }

    Status statement() {
        int line = line_;
        size_t start = pos_;
        if (text_.substr(pos_, 6) == "export" && pos_ + 6 < text_.size() &&
            (text_[pos_ + 6] == ' ' || text_[pos_ + 6] == '\t')) {
            pos_ += 6;
            skipBlanks();
            start = pos_;
        }
        while (!atEnd() && isKeyChar(cur())) ++pos_;
        std::string key(text_.substr(start, pos_ - start));
        size_t afterKey = pos_;
        skipBlanks();
        if (atEnd() || cur() == '\n' || (cur() == '#' && pos_ > afterKey)) {
            if (key.empty()) return fail(line, "missing variable name");
            skipToEol();
            store(std::move(key), std::nullopt);
            return {};
        }
        if (cur() != '=' && cur() != ':') {
            if (key.empty() || pos_ == afterKey) {
                return fail(line, "unexpected character \"{}\" in variable name \"{}\"",
                            std::string(1, cur()), restOfLine(start));
            }
            return fail(line, "variable name must not contain a space: \"{}\"", restOfLine(start));
        }
        if (key.empty()) return fail(line, "missing variable name before \"{}\"", cur());
        size_t afterSep = ++pos_;
        skipBlanks();
        std::string value;
        if (!atEnd() && cur() == '\'') {
            value = TRY(singleQuoted(line));
        } else if (!atEnd() && cur() == '"') {
            value = TRY(doubleQuoted(line));
        } else {
            value = TRY(unquoted(line, pos_ > afterSep));
        }
        store(std::move(key), std::move(value));
        return {};
    }

    // After a closing quote only blanks and a comment may follow on the line.
    Status endOfQuoted(int line) {
        skipBlanks();
        if (atEnd() || cur() == '\n') return {};
        if (cur() == '#') {
            skipToEol();
            return {};
        }
        return fail(line, "unexpected character \"{}\" after quoted value", std::string(1, cur()));
    }

    Error unterminated(int line, size_t from) const {
        return fail(line, "unterminated quoted value {}", restOfLine(from));
    }

    // 'literal': no escapes, no interpolation; a quote preceded by a backslash does not end it
    // (compose-go) and stays as written.
    Result<std::string> singleQuoted(int line) {
        size_t open = pos_++;
        std::string v;
        for (; !atEnd(); ++pos_) {
            char c = cur();
            if (c == '\'' && text_[pos_ - 1] != '\\') {
                ++pos_;
                TRY(endOfQuoted(line));
                return v;
            }
            if (c == '\n') ++line_;
            v += c;
        }
        return unterminated(line, open);
    }

    // "escaped": \n \r \t \\ \" \$ \a \b \f \v \0NNN; other backslashes stay; then interpolated
    // (an escaped dollar is kept literal by doubling it for the interpolator).
    Result<std::string> doubleQuoted(int line) {
        size_t open = pos_++;
        std::string raw;
        for (; !atEnd(); ++pos_) {
            char c = cur();
            if (c == '"') {
                ++pos_;
                auto v = TRY(expand(raw, line));
                TRY(endOfQuoted(line));
                return v;
            }
            if (c == '\n') ++line_;
            if (c != '\\' || pos_ + 1 >= text_.size()) {
                raw += c;
                continue;
            }
            char e = text_[++pos_];
            switch (e) {
                case 'n':
                    raw += '\n';
                    break;
                case 'r':
                    raw += '\r';
                    break;
                case 't':
                    raw += '\t';
                    break;
                case 'a':
                    raw += '\a';
                    break;
                case 'b':
                    raw += '\b';
                    break;
                case 'f':
                    raw += '\f';
                    break;
                case 'v':
                    raw += '\v';
                    break;
                case '\\':
                    raw += '\\';
                    break;
                case '"':
                    raw += '"';
                    break;
                case '$':
                    raw += "$$";
                    break;
                case '0': {
                    int n = 0, digits = 0;
                    while (digits < 3 && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' &&
                           text_[pos_ + 1] <= '7') {
                        n = n * 8 + (text_[++pos_] - '0');
                        ++digits;
                    }
                    raw += static_cast<char>(n & 0xff);
                    break;
                }
                default:
                    if (e == '\n') ++line_;
                    raw += '\\';
                    raw += e;
            }
        }
        return unterminated(line, open);
    }

    // To the end of the line; " #" starts a comment; trailing blanks trimmed; interpolated.
    // `blankBefore`: blanks were skipped before the value, so a leading '#' is a comment.
    Result<std::string> unquoted(int line, bool blankBefore) {
        size_t start = pos_;
        skipToEol();
        std::string_view v = text_.substr(start, pos_ - start);
        for (size_t i = 0; i < v.size(); ++i) {
            if (v[i] != '#') continue;
            if ((i == 0 && blankBefore) || (i > 0 && isBlank(v[i - 1]))) {
                v = v.substr(0, i);
                break;
            }
        }
        while (!v.empty() && isBlank(v.back())) v.remove_suffix(1);
        return expand(v, line);
    }

    std::string_view text_;
    std::string_view file_;
    const Lookup& outer_;
    size_t pos_ = 0;
    int line_ = 1;
    EnvList out_;
};

}  // namespace

Result<EnvList> parseDotenv(std::string_view text, std::string_view fileName,
                            const Lookup& lookup) {
    return DotenvParser(text, fileName, lookup).run();
}

Result<EnvList> readDotenvFile(const std::string& path, const Lookup& lookup) {
    auto text = sys::readFile(path);
    if (!text) return Error{text.error().code, fmt::format("reading env file {}", path)};
    return parseDotenv(text.value(), path, lookup);
}

}  // namespace berth::compose
