// The lexer of Go text/template (text/template/parse/lex.go): delimiters and trim markers,
// comments, and the tokens inside actions, with Go's error texts.
#include "cli/template_internal.h"

#include <map>

#include <fmt/format.h>

namespace berth::cli::tmpl {

namespace {

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool isAlnum(char c) {
    auto u = static_cast<unsigned char>(c);
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           u >= 0x80;  // non-ASCII: taken as letters
}
bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

std::string runeRepr(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return fmt::format("U+{:04X} '{}'", u, c);
    return fmt::format("U+{:04X}", u);
}

class Lexer {
  public:
    explicit Lexer(std::string_view in) : in_(in) {}

    std::vector<Token> run() {
        while (lexText()) {
        }
        return std::move(toks_);
    }

  private:
    void emit(T t) {
        toks_.push_back({t, std::string(in_.substr(start_, pos_ - start_)), start_});
        start_ = pos_;
    }
    bool error(std::string msg) {
        toks_.push_back({T::Error, std::move(msg), start_});
        return false;
    }
    char at(size_t p) const { return p < in_.size() ? in_[p] : '\0'; }
    bool startsWith(size_t p, std::string_view s) const {
        return p <= in_.size() && in_.substr(p).starts_with(s);
    }
    bool hasRightTrim(size_t p) const { return isSpace(at(p)) && startsWith(p + 1, "-}}"); }
    bool atTerminator() const {
        char c = at(pos_);
        return pos_ >= in_.size() || isSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' ||
               c == ')' || c == '(' || c == '}';
    }

    bool lexText() {
        size_t x = in_.find("{{", pos_);
        if (x == std::string_view::npos) {
            pos_ = in_.size();
            if (pos_ > start_) emit(T::Text);
            emit(T::Eof);
            return false;
        }
        bool trim = at(x + 2) == '-' && isSpace(at(x + 3));
        pos_ = x;
        if (trim)
            while (pos_ > start_ && isSpace(in_[pos_ - 1])) --pos_;
        if (pos_ > start_) emit(T::Text);
        start_ = x;
        pos_ = x + 2;
        size_t after = trim ? 2 : 0;
        if (startsWith(pos_ + after, "/*")) return lexComment(pos_ + after);
        emit(T::LeftDelim);
        pos_ += after;
        start_ = pos_;
        parenDepth_ = 0;
        return lexInsideAction();
    }

    bool lexComment(size_t p) {
        size_t end = in_.find("*/", p + 2);
        if (end == std::string_view::npos) return error("unclosed comment");
        p = end + 2;
        bool trim = hasRightTrim(p);
        if (trim) p += 2;
        if (!startsWith(p, "}}")) return error("comment ends before closing delimiter");
        pos_ = p + 2;
        if (trim)
            while (pos_ < in_.size() && isSpace(in_[pos_])) ++pos_;
        start_ = pos_;
        return true;
    }

    bool lexInsideAction() {
        for (;;) {
            bool trim = hasRightTrim(pos_);
            if (trim || startsWith(pos_, "}}")) {
                if (parenDepth_ != 0) return error("unclosed left paren");
                if (trim) pos_ += 2;
                start_ = pos_;
                pos_ += 2;
                emit(T::RightDelim);
                if (trim)
                    while (pos_ < in_.size() && isSpace(in_[pos_])) ++pos_;
                start_ = pos_;
                return true;
            }
            if (pos_ >= in_.size()) return error("unclosed action");
            char c = in_[pos_];
            if (isSpace(c)) {
                size_t n = 0;
                for (; pos_ < in_.size() && isSpace(in_[pos_]); ++n) ++pos_;
                if (hasRightTrim(pos_ - 1)) {  // the last space belongs to " -}}"
                    --pos_;
                    if (n == 1) continue;
                }
                emit(T::Space);
                continue;
            }
            bool ok = true;
            switch (c) {
                case '=':
                    ++pos_, emit(T::Assign);
                    break;
                case ':':
                    if (at(pos_ + 1) != '=') return error("expected :=");
                    pos_ += 2, emit(T::Declare);
                    break;
                case '|':
                    ++pos_, emit(T::Pipe);
                    break;
                case '(':
                    ++pos_, ++parenDepth_, emit(T::LeftParen);
                    break;
                case ')':
                    ++pos_;
                    if (--parenDepth_ < 0) return error("unexpected right paren");
                    emit(T::RightParen);
                    break;
                case '"':
                    ok = lexQuote('"', T::String, "unterminated quoted string");
                    break;
                case '\'':
                    ok = lexQuote('\'', T::Char, "unterminated character constant");
                    break;
                case '`':
                    ok = lexRaw();
                    break;
                case '$':
                    ok = lexFieldOrVariable(T::Variable);
                    break;
                case '.':
                    ok = isDigit(at(pos_ + 1)) ? lexNumber() : lexFieldOrVariable(T::Field);
                    break;
                default:
                    if (c == '+' || c == '-' || isDigit(c)) {
                        ok = lexNumber();
                    } else if (isAlnum(c)) {
                        ok = lexIdentifier();
                    } else if (c > 0x20 && c < 0x7F) {
                        ++pos_, emit(T::Punct);
                    } else {
                        return error("unrecognized character in action: " + runeRepr(c));
                    }
            }
            if (!ok) return false;
        }
    }

    bool lexQuote(char q, T type, const char* err) {
        for (++pos_;; ++pos_) {
            char c = at(pos_);
            if (c == '\\' && pos_ + 1 < in_.size() && in_[pos_ + 1] != '\n') {
                ++pos_;
                continue;
            }
            if (pos_ >= in_.size() || c == '\n' || c == '\\') return error(err);
            if (c == q) break;
        }
        ++pos_;
        emit(type);
        return true;
    }

    bool lexRaw() {
        size_t end = in_.find('`', pos_ + 1);
        if (end == std::string_view::npos) return error("unterminated raw quoted string");
        pos_ = end + 1;
        emit(T::RawString);
        return true;
    }

    bool lexFieldOrVariable(T type) {
        ++pos_;
        if (atTerminator()) {
            emit(type == T::Field ? T::Dot : T::Variable);
            return true;
        }
        while (pos_ < in_.size() && isAlnum(in_[pos_])) ++pos_;
        if (!atTerminator()) return error("bad character " + runeRepr(in_[pos_]));
        emit(type);
        return true;
    }

    bool lexIdentifier() {
        while (pos_ < in_.size() && isAlnum(in_[pos_])) ++pos_;
        if (!atTerminator()) return error("bad character " + runeRepr(in_[pos_]));
        static const std::map<std::string_view, T> kKeywords = {{"block", T::Block},
                                                                {"break", T::Break},
                                                                {"continue", T::Continue},
                                                                {"define", T::Define},
                                                                {"else", T::Else},
                                                                {"end", T::End},
                                                                {"if", T::If},
                                                                {"range", T::Range},
                                                                {"nil", T::Nil},
                                                                {"template", T::Template},
                                                                {"with", T::With},
                                                                {"true", T::Bool},
                                                                {"false", T::Bool}};
        auto it = kKeywords.find(in_.substr(start_, pos_ - start_));
        emit(it == kKeywords.end() ? T::Identifier : it->second);
        return true;
    }

    bool lexNumber() {
        auto accept = [&](std::string_view set) {
            if (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) {
                ++pos_;
                return true;
            }
            return false;
        };
        auto acceptRun = [&](std::string_view set) {
            while (accept(set)) {
            }
        };
        accept("+-");
        std::string_view digits = "0123456789_";
        if (accept("0")) {
            if (accept("xX"))
                digits = "0123456789abcdefABCDEF_";
            else if (accept("oO"))
                digits = "01234567_";
            else if (accept("bB"))
                digits = "01_";
        }
        acceptRun(digits);
        if (accept(".")) acceptRun(digits);
        if (digits.size() == 11 && accept("eE")) {
            accept("+-");
            acceptRun("0123456789_");
        }
        if (pos_ < in_.size() && isAlnum(in_[pos_])) {
            ++pos_;
            return error(
                fmt::format("bad number syntax: \"{}\"", in_.substr(start_, pos_ - start_)));
        }
        emit(T::Number);
        return true;
    }

    std::string_view in_;
    size_t pos_ = 0, start_ = 0;
    int parenDepth_ = 0;
    std::vector<Token> toks_;
};

}  // namespace

std::vector<Token> lex(std::string_view in) {
    return Lexer(in).run();
}

}  // namespace berth::cli::tmpl
