#include "image/build/shell_words.h"

#include <cctype>

namespace berth::image::build {

namespace {

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool isNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Collects the output, either as one string or split into words.
struct Words {
    bool split = false;
    std::vector<std::string> words;
    std::string cur;
    bool inWord = false;

    void add(char c) {
        cur += c;
        inWord = true;
    }
    void addQuoted(std::string_view v) {
        cur += v;
        inWord = true;  // "" is an (empty) word of its own
    }
    // Unquoted text (literal or from an expansion): whitespace separates words when splitting.
    void addUnquoted(std::string_view v) {
        for (char c : v) {
            if (split && isSpace(c)) {
                breakWord();
            } else {
                add(c);
            }
        }
    }
    void breakWord() {
        if (inWord) words.push_back(std::move(cur));
        cur.clear();
        inWord = false;
    }
};

class Lexer {
public:
    Lexer(std::string_view s, char esc, const Lookup& env) : s_(s), esc_(esc), env_(env) {}

    // Processes up to the end (stop == 0) or up to an unquoted `stop`, which is consumed.
    Status run(Words& w, char stop = 0) {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (stop && c == stop) {
                i_++;
                return {};
            }
            if (c == '\'') {
                i_++;
                w.addQuoted(TRY(singleQuoted()));
            } else if (c == '"') {
                i_++;
                w.addQuoted(TRY(doubleQuoted()));
            } else if (c == '$') {
                i_++;
                w.addUnquoted(TRY(dollar()));
            } else if (c == esc_) {
                i_++;
                if (i_ < s_.size()) w.add(s_[i_++]);  // a trailing escape is dropped
            } else {
                i_++;
                w.addUnquoted(std::string_view(&c, 1));
            }
        }
        if (stop) return invalid("syntax error: missing '{}'", stop);
        return {};
    }

private:
    Result<std::string> singleQuoted() {
        std::string out;
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '\'') return out;
            out += c;
        }
        return invalid("unexpected end of statement while looking for matching single-quote");
    }

    Result<std::string> doubleQuoted() {
        std::string out;
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '"') return out;
            if (c == '$') {
                out += TRY(dollar());
            } else if (c == esc_ && i_ < s_.size() &&
                       (s_[i_] == '"' || s_[i_] == '$' || s_[i_] == esc_)) {
                out += s_[i_++];  // only these can be escaped; other escapes stay as written
            } else {
                out += c;
            }
        }
        return invalid("unexpected end of statement while looking for matching double-quote");
    }

    std::string name() {
        size_t start = i_;
        if (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
            return std::string(s_.substr(i_++, 1));  // positional: one digit
        }
        while (i_ < s_.size() && isNameChar(s_[i_])) i_++;
        return std::string(s_.substr(start, i_ - start));
    }

    std::optional<std::string> get(const std::string& n) const {
        return env_ ? env_(n) : std::nullopt;
    }

    // After a '$'.
    Result<std::string> dollar() {
        if (i_ >= s_.size()) return std::string("$");
        if (s_[i_] != '{') {
            std::string n = name();
            if (n.empty()) return std::string("$");
            return get(n).value_or("");
        }
        i_++;
        std::string n = name();
        if (n.empty()) return invalid("bad substitution: missing variable name after '${{'");
        if (i_ >= s_.size()) return invalid("syntax error: missing '}}'");
        char c = s_[i_++];
        if (c == '}') return get(n).value_or("");
        bool colon = false;
        if (c == ':') {
            colon = true;
            if (i_ >= s_.size()) return invalid("syntax error: missing '}}'");
            c = s_[i_++];
        }
        if (c != '-' && c != '+' && c != '?') {
            return invalid("unsupported modifier ({}) in substitution", c);
        }
        Words inner;
        TRY(run(inner, '}'));
        const std::string& word = inner.cur;
        auto v = get(n);
        bool set = colon ? v && !v->empty() : v.has_value();
        switch (c) {
            case '-':
                return set ? *v : word;
            case '+':
                return set ? word : std::string();
            default:
                if (set) return *v;
                if (word.empty()) return invalid("{}: is not allowed to be unset", n);
                return invalid("{}: {}", n, word);
        }
    }

    std::string_view s_;
    size_t i_ = 0;
    char esc_;
    const Lookup& env_;
};

}  // namespace

Lookup envLookup(const std::vector<std::string>& env) {
    return [env](std::string_view name) -> std::optional<std::string> {
        std::optional<std::string> v;
        for (const auto& e : env) {
            auto eq = e.find('=');
            std::string_view k = std::string_view(e).substr(0, eq);
            if (k == name) v = eq == std::string::npos ? "" : e.substr(eq + 1);
        }
        return v;
    };
}

Result<std::string> ShellLex::processWord(std::string_view word, const Lookup& env) const {
    Words w;
    Lexer lx(word, escape_, env);
    TRY_CTX(lx.run(w), "failed to process \"{}\"", word);
    return w.cur;
}

Result<std::vector<std::string>> ShellLex::processWords(std::string_view text,
                                                        const Lookup& env) const {
    Words w;
    w.split = true;
    Lexer lx(text, escape_, env);
    TRY_CTX(lx.run(w), "failed to process \"{}\"", text);
    w.breakWord();
    return w.words;
}

}  // namespace berth::image::build
