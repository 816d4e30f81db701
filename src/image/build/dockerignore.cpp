#include "image/build/dockerignore.h"

#include <cctype>

namespace berth::image::build {

std::string cleanPath(std::string_view p) {
    bool rooted = p.starts_with('/');
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        std::string_view c = p.substr(i, j - i);
        i = j + 1;
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (!parts.empty() && parts.back() != "..") {
                parts.pop_back();
            } else if (!rooted) {
                parts.push_back(c);
            }
            continue;
        }
        parts.push_back(c);
    }
    std::string out = rooted ? "/" : "";
    for (size_t k = 0; k < parts.size(); k++) {
        if (k) out += '/';
        out += parts[k];
    }
    return out.empty() ? "." : out;
}

Result<std::vector<IgnoreMatcher::Token>> IgnoreMatcher::compile(std::string_view p) {
    std::vector<Token> t;
    for (size_t i = 0; i < p.size(); i++) {
        char c = p[i];
        if (c == '*') {
            if (i + 1 < p.size() && p[i + 1] == '*') {
                while (i + 1 < p.size() && p[i + 1] == '*') i++;
                if (i + 1 < p.size() && p[i + 1] == '/') {
                    i++;
                    t.push_back({Token::DirsAny});  // "**/": zero or more directories
                } else {
                    t.push_back({Token::All});
                }
            } else {
                t.push_back({Token::Star});
            }
        } else if (c == '?') {
            t.push_back({Token::Any});
        } else if (c == '\\') {
            if (i + 1 < p.size()) {
                t.push_back({Token::Literal, p[++i]});
            } else {
                return invalid("syntax error in pattern \"{}\": trailing backslash", p);
            }
        } else if (c == '[') {
            Token k{Token::Class};
            size_t j = i + 1;
            if (j < p.size() && p[j] == '^') {
                k.negate = true;
                j++;
            }
            bool closed = false;
            for (bool first = true; j < p.size(); j++, first = false) {
                if (p[j] == ']' && !first) {
                    closed = true;
                    break;
                }
                if (p[j] == '\\' && j + 1 < p.size()) j++;
                k.set += p[j];
            }
            if (!closed || k.set.empty()) return invalid("syntax error in pattern \"{}\"", p);
            i = j;
            t.push_back(std::move(k));
        } else {
            t.push_back({Token::Literal, c});
        }
    }
    return t;
}

namespace {

bool inClass(const std::string& set, char c) {
    for (size_t i = 0; i < set.size(); i++) {
        if (i + 2 < set.size() && set[i + 1] == '-') {
            if (c >= set[i] && c <= set[i + 2]) return true;
            i += 2;
        } else if (set[i] == c) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool IgnoreMatcher::match(const std::vector<Token>& t, std::string_view s) {
    // memo[ti][si]: 0 unknown, 1 no, 2 yes. Paths and patterns are short.
    std::vector<std::vector<char>> memo(t.size() + 1, std::vector<char>(s.size() + 1, 0));
    auto rec = [&](auto& self, size_t ti, size_t si) -> bool {
        if (ti == t.size()) return si == s.size();
        char& m = memo[ti][si];
        if (m) return m == 2;
        bool r = false;
        const Token& k = t[ti];
        switch (k.kind) {
            case Token::Literal:
                r = si < s.size() && s[si] == k.c && self(self, ti + 1, si + 1);
                break;
            case Token::Any:
                r = si < s.size() && s[si] != '/' && self(self, ti + 1, si + 1);
                break;
            case Token::Class:
                r = si < s.size() && inClass(k.set, s[si]) != k.negate &&
                    self(self, ti + 1, si + 1);
                break;
            case Token::Star:
                for (size_t e = si;; e++) {
                    if (self(self, ti + 1, e)) {
                        r = true;
                        break;
                    }
                    if (e == s.size() || s[e] == '/') break;
                }
                break;
            case Token::All:
                for (size_t e = si; e <= s.size() && !r; e++) r = self(self, ti + 1, e);
                break;
            case Token::DirsAny:
                r = self(self, ti + 1, si);  // no directory
                for (size_t e = si; e < s.size() && !r; e++) {
                    if (s[e] == '/') r = self(self, ti + 1, e + 1);
                }
                break;
        }
        m = r ? 2 : 1;
        return r;
    };
    return rec(rec, 0, 0);
}

Result<IgnoreMatcher> IgnoreMatcher::parse(std::string_view text) {
    IgnoreMatcher m;
    size_t pos = 0;
    bool firstLine = true;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (firstLine && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
        firstLine = false;
        if (line.starts_with('#')) continue;
        auto trim = [](std::string_view s) {
            while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
                s.remove_prefix(1);
            }
            while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
                s.remove_suffix(1);
            }
            return s;
        };
        line = trim(line);
        if (line.empty()) continue;
        Pattern p;
        if (line[0] == '!') {
            p.exclusion = true;
            line = trim(line.substr(1));
            if (line.empty()) return invalid(".dockerignore: illegal exclusion pattern: \"!\"");
        }
        p.text = cleanPath(line);
        if (p.text.size() > 1 && p.text[0] == '/') p.text.erase(0, 1);
        p.tokens = TRY_CTX(compile(p.text), ".dockerignore");
        m.hasExclusions_ |= p.exclusion;
        m.patterns_.push_back(std::move(p));
    }
    return m;
}

bool IgnoreMatcher::matchOrParent(const Pattern& p, std::string_view rel) const {
    if (match(p.tokens, rel)) return true;
    // A pattern matching a parent directory matches everything below it.
    for (size_t i = 0; i < rel.size(); i++) {
        if (rel[i] == '/' && match(p.tokens, rel.substr(0, i))) return true;
    }
    return false;
}

bool IgnoreMatcher::excluded(std::string_view rel) const {
    std::string clean = cleanPath(rel);
    bool matched = false;
    for (const auto& p : patterns_) {
        // An inclusion cannot change an already excluded path, nor an exception a kept one.
        if (p.exclusion != matched) continue;
        if (matchOrParent(p, clean)) matched = !p.exclusion;
    }
    return matched;
}

bool IgnoreMatcher::mayReinclude(std::string_view dirRel) const {
    if (!hasExclusions_) return false;
    std::string dirSlash = cleanPath(dirRel) + "/";
    for (const auto& p : patterns_) {
        if (p.exclusion && (p.text + "/").starts_with(dirSlash)) return true;
    }
    return false;
}

Result<bool> IgnoreMatcher::matchPattern(std::string_view pattern, std::string_view path) {
    auto t = TRY(compile(cleanPath(pattern)));
    return match(t, path);
}

}  // namespace berth::image::build
