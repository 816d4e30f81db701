// .dockerignore: docker's pattern semantics (moby/patternmatcher). One pattern per line, '#'
// comments, blank lines ignored; patterns are cleaned paths relative to the context root
// ("/a" = "a"); '*' and '?' do not match '/', "**" matches any number of directories (also
// none); '[...]' classes; '\' escapes. A pattern also matches everything under a directory it
// matches. A leading '!' re-includes; the last matching pattern wins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::image::build {

class IgnoreMatcher {
public:
    static Result<IgnoreMatcher> parse(std::string_view text);
    IgnoreMatcher() = default;

    // `rel`: a '/'-separated path relative to the context root ("a/b.txt").
    bool excluded(std::string_view rel) const;
    // For an excluded directory: true when some '!' pattern may re-include something below it,
    // so the walk must still descend (docker's rule: an exception pattern starting with
    // "<dir>/").
    bool mayReinclude(std::string_view dirRel) const;
    bool empty() const { return patterns_.empty(); }

    // A single pattern against a path (no parent rule); for tests.
    static Result<bool> matchPattern(std::string_view pattern, std::string_view path);

private:
    struct Token {
        enum Kind { Literal, Star, Any, Class, DirsAny, All } kind;
        char c = 0;           // Literal
        std::string set;      // Class: the set's items (ranges as a-b)
        bool negate = false;  // Class
    };
    struct Pattern {
        std::string text;  // cleaned
        bool exclusion = false;
        std::vector<Token> tokens;
    };
    static Result<std::vector<Token>> compile(std::string_view p);
    static bool match(const std::vector<Token>& t, std::string_view s);
    bool matchOrParent(const Pattern& p, std::string_view rel) const;

    std::vector<Pattern> patterns_;
    bool hasExclusions_ = false;
};

// filepath.Clean with '/' separators: "./a//b/../c/" -> "a/c"; "" -> ".".
std::string cleanPath(std::string_view p);

}  // namespace berth::image::build
